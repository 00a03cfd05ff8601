/** β schemes: the estimators that give each preference pair its β. Sees only the api. */
module betalab.models {
    requires betalab.api;

    exports betalab.models;

    provides betalab.api.registry.Extension with betalab.models.BetaSchemesExtension;
}
