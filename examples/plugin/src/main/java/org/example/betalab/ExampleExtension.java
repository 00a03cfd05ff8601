package org.example.betalab;

import betalab.api.nn.Activation;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceLoss;
import betalab.api.registry.Extension;
import betalab.api.registry.Extensions;
import betalab.api.registry.Knob;
import com.google.inject.AbstractModule;
import java.util.Arrays;
import java.util.List;

/**
 * Binds this plugin's β scheme and loss by name. betalab finds this class through ServiceLoader
 * (module-info's {@code provides} and META-INF/services), so it must be public with a public
 * no-argument constructor.
 */
public final class ExampleExtension extends AbstractModule implements Extension {
    @Override
    protected void configure() {
        Extensions.betaEstimators(binder()).addBinding("bounded_exp").toInstance(BetaEstimator.Provider.of(
                "β = β₀·exp(tanh(MLP(x))) on the policy's representation, or else the prompt features: "
                        + "within a factor e of β₀ (example plugin)",
                List.of(Knob.real("beta0", 0.1, "β₀, the centre of β").positive(),
                        Knob.integers("hidden", List.of(16), "hidden layer widths, input side first").positive(),
                        Knob.text("activation", "tanh", "activation between layers",
                                Arrays.stream(Activation.values()).map(Activation::label).toArray(String[]::new))),
                (settings, context) -> new BoundedExpBeta(settings.real("beta0"),
                        settings.integers("hidden").stream().mapToInt(Integer::intValue).toArray(),
                        Activation.named(settings.text("activation")), context)));
        Extensions.losses(binder()).addBinding("smooth_hinge").toInstance(PreferenceLoss.Provider.of(
                "smoothed SLiC: τ·softplus((m − βh)/τ); τ → 0 gives relu(m − βh), τ = 1 and m = 0 give DPO "
                        + "(example plugin)",
                List.of(Knob.real("margin", 1.0, "m, the target of βh").atLeast(0),
                        Knob.real("tau", 0.1, "τ, the smoothing width").positive()),
                settings -> new SmoothHingeLoss(settings.real("margin"), settings.real("tau"))));
    }
}
