package org.example.betalab;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceLoss;
import betalab.api.registry.Extension;
import com.google.inject.AbstractModule;

/**
 * Binds this plugin's β scheme and loss by name. betalab finds this class through ServiceLoader
 * (module-info's {@code provides} and META-INF/services), so it must be public with a public
 * no-argument constructor.
 */
public final class ExampleExtension extends AbstractModule implements Extension {
    @Override
    protected void configure() {
        BetaEstimator.POINT.bind(binder(), "bounded_tanh", "β = β₀·(1 + tanh(MLP(x))), within (0, 2β₀) "
                + "(example plugin)", BoundedTanhBeta.KNOBS, BoundedTanhBeta::new);
        PreferenceLoss.POINT.bind(binder(), "smooth_hinge", "smoothed SLiC: τ·softplus((m − βh)/τ); τ → 0 gives "
                + "relu(m − βh), τ = 1 and m = 0 give DPO (example plugin)", SmoothHingeLoss.KNOBS,
                (settings, none) -> new SmoothHingeLoss(settings));
    }
}
