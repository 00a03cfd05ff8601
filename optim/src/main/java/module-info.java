/**
 * Optimizers (SGD, Adam, AdamW) with torch.optim's semantics. Sees only the api; others reach the
 * optimizers through the registry, so no package is exported.
 */
module betalab.optim {
    requires betalab.api;

    provides betalab.api.registry.Extension with betalab.optim.OptimizersExtension;
}
