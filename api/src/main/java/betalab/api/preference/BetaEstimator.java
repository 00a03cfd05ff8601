package betalab.api.preference;

import betalab.api.random.Rng;
import betalab.api.registry.Component;
import betalab.api.registry.Settings;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.List;

/**
 * Produces the β of each pair of a batch. A fixed β has no parameters; a learnable one has
 * parameters trained by the loss's gradient through the β it returns.
 */
public interface BetaEstimator {

    /** β of each pair, shape [n], every element &gt; 0. */
    Tensor beta(PreferenceBatch batch);

    /** Trainable parameters (none for a fixed β). */
    default List<Tensor> parameters() {
        return List.of();
    }

    /** What an estimator may need to build itself: the feature width, a generator, a precision. */
    record Context(int featureDim, Rng rng, DType dtype) {
    }

    /** Makes the estimator from its knobs; bound by name in the registry. */
    interface Provider extends Component {
        BetaEstimator create(Settings settings, Context context);
    }
}
