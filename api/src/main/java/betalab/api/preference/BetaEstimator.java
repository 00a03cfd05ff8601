package betalab.api.preference;

import betalab.api.Stateful;
import betalab.api.random.Rng;
import betalab.api.registry.Component;
import betalab.api.registry.DefinedComponent;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Produces the β of each pair of a batch. A fixed β has no parameters; a learnable one has
 * parameters trained by the loss's gradient through the β it returns. A new scheme usually writes
 * {@link #beta} only.
 */
public interface BetaEstimator extends Stateful {

    /** β of each pair, shape [n], every element &gt; 0. Has no side effects (evaluation uses it). */
    Tensor beta(PreferenceBatch batch);

    /**
     * β for one training step. Schemes with running statistics update them here, and schemes that
     * select pairs return weights; the default is {@link #beta} with every pair counted once.
     */
    default Estimate train(PreferenceBatch batch) {
        return new Estimate(beta(batch), null, null);
    }

    /** Trainable parameters (none for a fixed β). */
    default List<Tensor> parameters() {
        return List.of();
    }

    /** The parameters' values by position; a {@code Module} names them by path instead. */
    @Override
    default Map<String, double[]> state() {
        Map<String, double[]> state = new LinkedHashMap<>();
        List<Tensor> parameters = parameters();
        for (int i = 0; i < parameters.size(); i++) {
            state.put("parameter" + i, parameters.get(i).toDoubleArray());
        }
        return state;
    }

    @Override
    default void loadState(Map<String, double[]> state) {
        List<Tensor> parameters = parameters();
        for (int i = 0; i < parameters.size(); i++) {
            Tensor p = parameters.get(i);
            p.copyInPlace(Stateful.entry(state, "parameter" + i, p.size()));
        }
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

    /** What an estimator may need to build itself: the widths of its inputs, a generator, a precision. */
    record Context(int featureDim, int representationDim, Rng rng, DType dtype) {
    }

    /** Makes the estimator from its knobs; bound by name in the registry. */
    interface Provider extends Component {
        BetaEstimator create(Settings settings, Context context);

        /** A provider from its description, its knobs and how it builds the estimator from them. */
        static Provider of(String description, List<Knob> knobs, BiFunction<Settings, Context, BetaEstimator> factory) {
            final class Defined extends DefinedComponent implements Provider {
                Defined(Class<?> origin) {
                    super(description, knobs, origin);
                }

                @Override
                public BetaEstimator create(Settings settings, Context context) {
                    return factory.apply(settings, context);
                }
            }
            return new Defined(DefinedComponent.definer());
        }
    }
}
