package betalab.models;

import betalab.api.preference.BetaEstimator;
import betalab.api.registry.Extension;
import betalab.api.registry.Extensions;
import betalab.api.registry.Knob;
import com.google.inject.AbstractModule;
import com.google.inject.multibindings.MapBinder;
import java.util.List;

/** Binds the β schemes by name. */
public final class BetaSchemesExtension extends AbstractModule implements Extension {
    @Override
    protected void configure() {
        MapBinder<String, BetaEstimator.Provider> schemes = Extensions.betaEstimators(binder());
        schemes.addBinding("fixed").toInstance(BetaEstimator.Provider.of("DPO's constant β for every pair",
                List.of(Knob.real("beta", 0.1, "the constant β").positive()),
                (settings, context) -> new FixedBeta(settings.real("beta"))));
        schemes.addBinding("softplus_mlp").toInstance(BetaEstimator.Provider.of(
                "learnable β(x) = softplus(MLP(x)) on prompt features (the seed document's network)",
                SoftplusMlpBeta.KNOBS, (settings, context) -> {
                    if (context.featureDim() < 1) {
                        throw new IllegalArgumentException("softplus_mlp β needs prompt features of width ≥ 1");
                    }
                    return SoftplusMlpBeta.fromSettings(context.featureDim(), settings, context);
                }));
    }
}
