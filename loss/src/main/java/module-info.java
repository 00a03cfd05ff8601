/** Preference losses and the objective that joins a β scheme to a loss. Sees only the api. */
module betalab.loss {
    // Transitive: the public types here (PreferenceLoss, Extension, Guice's Provider) come from the api.
    requires transitive betalab.api;

    exports betalab.loss;

    provides betalab.api.registry.Extension with betalab.loss.LossesExtension;
}
