package betalab.api.preference;

import betalab.api.nn.Activation;
import betalab.api.nn.Mlp;
import betalab.api.nn.Module;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * An MLP on one per-prompt input of a batch — the body of most learnable β schemes. Its knobs,
 * {@link #HIDDEN} and {@link #ACTIVATION}, are declared here once for every scheme that uses it.
 */
public final class PromptHead extends Module {
    public static final Knob<List<Integer>> HIDDEN = Knob.integers("hidden", List.of(10),
            "hidden layer widths, input side first").positive();
    public static final Knob<String> ACTIVATION = Knob.text("activation", "relu", "activation between layers",
            Arrays.stream(Activation.values()).map(Activation::label).toArray(String[]::new));

    private final Mlp mlp;
    private final PromptInput input;
    private final String owner;

    /**
     * input → hidden… → outputs, its widths and activation from {@code settings}, initialised from the
     * context's generator in the context's precision; {@code settings.owner()} names the scheme in errors.
     */
    public PromptHead(PromptInput input, int outputs, Settings settings, BetaEstimator.Context context) {
        this.input = input;
        this.owner = settings.owner();
        int[] hidden = settings.get(HIDDEN).stream().mapToInt(Integer::intValue).toArray();
        this.mlp = child("mlp", new Mlp(input.width(context, owner), hidden, outputs,
                Activation.named(settings.get(ACTIVATION)), context.rng(), context.dtype()));
    }

    /** The head's knobs with one hidden layer of {@code width} by default. */
    public static List<Knob<?>> knobs(int width) {
        return List.of(HIDDEN.withDefault(List.of(width)), ACTIVATION);
    }

    /** The head's outputs for each pair's prompt, [n, outputs]. */
    public Tensor forward(PreferenceBatch batch) {
        return mlp.forward(input.read(batch, owner));
    }
}
