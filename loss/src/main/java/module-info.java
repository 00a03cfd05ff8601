/** Preference losses and the objective that joins a β scheme to a loss. Sees only the api. */
module betalab.loss {
    requires betalab.api;

    exports betalab.loss;

    provides betalab.api.registry.Extension with betalab.loss.LossesExtension;
}
