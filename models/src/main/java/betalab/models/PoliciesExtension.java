package betalab.models;

import betalab.api.nn.Activation;
import betalab.api.policy.Policy;
import betalab.api.registry.Extension;
import betalab.api.registry.Extensions;
import betalab.api.registry.Knob;
import com.google.inject.AbstractModule;
import java.util.List;

/** Binds the bandit policies by name. */
public final class PoliciesExtension extends AbstractModule implements Extension {

    @Override
    protected void configure() {
        var policies = Extensions.policies(binder());
        policies.addBinding("log_linear").toInstance(Policy.Provider.of("log-linear πθ(y|x) = softmax((W·x)·y)",
                List.of(Knob.real("init_scale", 1.0, "W starts as nn.Linear's init times this").atLeast(0)),
                (settings, context) -> new LogLinearPolicy(context, settings.real("init_scale"))));
        policies.addBinding("mlp").toInstance(Policy.Provider.of("πθ(y|x) = softmax(MLP(x)·y), an MLP prompt encoder",
                List.of(Knob.integers("hidden", List.of(32), "hidden layer widths of the encoder").positive(),
                        Knob.text("activation", "tanh", "activation between layers",
                                "relu", "tanh", "sigmoid", "softplus", "identity")),
                (settings, context) -> new MlpPolicy(context,
                        settings.integers("hidden").stream().mapToInt(Integer::intValue).toArray(),
                        Activation.named(settings.text("activation")))));
    }
}
