package betalab.models;

import betalab.api.preference.BetaEstimator;
import betalab.api.registry.Extension;
import betalab.api.registry.Extensions;
import com.google.inject.AbstractModule;
import com.google.inject.multibindings.MapBinder;

/** Binds the β schemes by name. */
public final class BetaSchemesExtension extends AbstractModule implements Extension {
    @Override
    protected void configure() {
        MapBinder<String, BetaEstimator.Provider> schemes = Extensions.betaEstimators(binder());
        schemes.addBinding("fixed").toInstance(new FixedBeta.Provider());
        schemes.addBinding("softplus_mlp").toInstance(new SoftplusMlpBeta.Provider());
    }
}
