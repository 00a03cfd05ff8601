package betalab.models;

import betalab.api.nn.Activation;
import betalab.api.nn.Mlp;
import betalab.api.preference.BetaEstimator.Context;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import java.util.Arrays;
import java.util.List;

/** The small one-output MLPs β schemes put on a prompt input: their knobs, declared once, and how they are built. */
final class MlpHeads {
    private MlpHeads() {
    }

    /** The "hidden" and "activation" knobs, with one hidden layer of the given default width. */
    static List<Knob> knobs(int defaultWidth) {
        String[] activations = Arrays.stream(Activation.values()).map(Activation::label).toArray(String[]::new);
        return List.of(
                Knob.integers("hidden", List.of(defaultWidth), "hidden layer widths, input side first").positive(),
                Knob.text("activation", "relu", "activation between layers", activations));
    }

    /** in → hidden… → 1, initialised from the context's generator in the context's precision. */
    static Mlp build(int in, Settings settings, Context context) {
        int[] hidden = settings.integers("hidden").stream().mapToInt(Integer::intValue).toArray();
        Activation activation = Activation.named(settings.text("activation"));
        return new Mlp(in, hidden, 1, activation, context.rng(), context.dtype());
    }
}
