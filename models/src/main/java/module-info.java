/** β schemes: the estimators that give each preference pair its β. Sees only the api. */
module betalab.models {
    // transitive: the schemes' public signatures are api types (BetaEstimator, Tensor, Module)
    requires transitive betalab.api;

    exports betalab.models;

    provides betalab.api.registry.Extension with betalab.models.BetaSchemesExtension,
            betalab.models.PoliciesExtension;
}
