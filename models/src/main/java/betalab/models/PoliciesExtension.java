package betalab.models;

import betalab.api.nn.Activation;
import betalab.api.policy.Policy;
import betalab.api.registry.Extension;
import betalab.api.registry.Knob;
import com.google.inject.AbstractModule;
import java.util.Arrays;
import java.util.List;

/** Binds the policies by name: the contextual bandit's, and the causal language model. */
public final class PoliciesExtension extends AbstractModule implements Extension {
    static final Knob<Double> INIT_SCALE = Knob.real("init_scale", 1.0, "W starts as nn.Linear's init times this")
            .atLeast(0);
    static final Knob<List<Integer>> HIDDEN = Knob.integers("hidden", List.of(32),
            "hidden layer widths of the encoder").positive();
    static final Knob<String> ACTIVATION = Knob.text("activation", "tanh", "activation between layers",
            Arrays.stream(Activation.values()).map(Activation::label).toArray(String[]::new));

    @Override
    protected void configure() {
        Policy.POINT.bind(binder(), "log_linear", "log-linear πθ(y|x) = softmax((W·x)·y)", List.of(INIT_SCALE),
                (settings, context) -> new LogLinearPolicy(context, settings.get(INIT_SCALE)));
        Policy.POINT.bind(binder(), "mlp", "πθ(y|x) = softmax(MLP(x)·y), an MLP prompt encoder",
                List.of(HIDDEN, ACTIVATION), (settings, context) -> new MlpPolicy(context,
                        settings.get(HIDDEN).stream().mapToInt(Integer::intValue).toArray(),
                        Activation.named(settings.get(ACTIVATION))));
        Policy.POINT.bind(binder(), "transformer", "a Llama-family causal language model (RMSNorm, RoPE, grouped-query "
                        + "attention, SwiGLU) as transformers' LlamaForCausalLM computes it; knobs named as LlamaConfig",
                betalab.models.transformer.TransformerKnobs.KNOBS, betalab.models.transformer.TransformerKnobs::create);
    }
}
