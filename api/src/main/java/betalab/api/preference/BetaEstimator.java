package betalab.api.preference;

import betalab.api.Stateful;
import betalab.api.random.Rng;
import betalab.api.registry.ExtensionPoint;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Produces the β of each pair of a batch. A fixed β has no parameters; a learnable one has
 * parameters trained by the loss's gradient through the β it returns. A new scheme usually writes
 * {@link #beta} only: extend {@code betalab.api.nn.Module} and its parameters are found by name.
 */
public interface BetaEstimator extends Stateful {

    /** The β schemes, bound by name; every scheme also takes {@link BetaOptions#KNOBS}. */
    ExtensionPoint<BetaEstimator, Context> POINT = ExtensionPoint.<BetaEstimator, Context>of("beta", "β schemes",
            BetaEstimator.class).withCommonKnobs(BetaOptions.KNOBS, BetaOptions::apply);

    /** TRL's default β, which metrics are logged with when a scheme configures no β of its own. */
    double TRL_DEFAULT_BETA = 0.1;

    /** β of each pair, shape [n], every element &gt; 0. Has no side effects (evaluation uses it). */
    Tensor beta(PreferenceBatch batch);

    /**
     * β for one training step. Schemes with running statistics update them here, and schemes that
     * select pairs return weights; the default is {@link #beta} with every pair counted once.
     */
    default Estimate train(PreferenceBatch batch) {
        return new Estimate(beta(batch), null, null);
    }

    /**
     * The scheme's configured (base or initial) β: what TRL-named metrics such as
     * {@code rewards/margins} are computed with, as TRL computes them with its constant β. Schemes
     * without one keep {@link #TRL_DEFAULT_BETA}.
     */
    default double baseBeta() {
        return TRL_DEFAULT_BETA;
    }

    /** Trainable parameters by name (none for a fixed β); a {@code Module} names them by path. */
    default Map<String, Tensor> namedParameters() {
        return Map.of();
    }

    default List<Tensor> parameters() {
        return List.copyOf(namedParameters().values());
    }

    @Override
    default Map<String, double[]> state() {
        Map<String, double[]> state = new LinkedHashMap<>();
        namedParameters().forEach((name, p) -> state.put(name, p.toDoubleArray()));
        return state;
    }

    @Override
    default void loadState(Map<String, double[]> state) {
        namedParameters().forEach((name, p) -> p.copyInPlace(Stateful.entry(state, name, p.size())));
    }

    /**
     * A training step's β.
     *
     * @param beta    β of each pair, shape [n]
     * @param weights weight of each pair in the mean loss, shape [n], or null for equal weights
     * @param penalty a scalar added to the loss (a regulariser on β), or null for none
     */
    record Estimate(Tensor beta, Tensor weights, Tensor penalty) {
    }

    /**
     * What an estimator may need to build itself: the widths of its inputs (0 where the run has no
     * such input), a generator, a precision.
     */
    record Context(int featureDim, int representationDim, Rng rng, DType dtype) {
    }
}
