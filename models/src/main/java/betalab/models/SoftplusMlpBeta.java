package betalab.models;

import betalab.api.nn.Activation;
import betalab.api.nn.Mlp;
import betalab.api.nn.Module;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.Tensor;
import java.util.List;

/**
 * The seed document's learnable β(x) = softplus(MLP(x)) on each pair's prompt features: positive
 * by construction, trained by the preference loss's gradient through β.
 */
public final class SoftplusMlpBeta extends Module implements BetaEstimator {
    private final Mlp mlp;

    public SoftplusMlpBeta(Mlp mlp) {
        this.mlp = child("mlp", mlp);
    }

    @Override
    public Tensor beta(PreferenceBatch batch) {
        if (batch.features() == null) {
            throw new IllegalArgumentException("softplus_mlp β needs prompt features, the batch has none");
        }
        return mlp.forward(batch.features()).softplus().flatten();
    }

    /** A softplus MLP β over inputs of width {@code in}, with the "hidden" and "activation" knobs. */
    static SoftplusMlpBeta fromSettings(int in, Settings settings, Context context) {
        int[] hidden = settings.integers("hidden").stream().mapToInt(Integer::intValue).toArray();
        Activation activation = Activation.named(settings.text("activation"));
        return new SoftplusMlpBeta(new Mlp(in, hidden, 1, activation, context.rng(), context.dtype()));
    }

    static final List<Knob> KNOBS = List.of(
            Knob.integers("hidden", List.of(10), "hidden layer widths, input side first").positive(),
            Knob.text("activation", "relu", "activation between layers",
                    "relu", "tanh", "sigmoid", "softplus", "identity"));
}
