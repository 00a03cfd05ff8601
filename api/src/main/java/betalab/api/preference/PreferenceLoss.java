package betalab.api.preference;

import betalab.api.registry.Component;
import betalab.api.registry.Settings;
import betalab.api.tensor.Tensor;

/**
 * A preference loss: per-pair losses from per-pair log-probabilities and a per-pair β (a fixed β
 * is the constant vector). Gradients flow into the log-probabilities and into β.
 */
public interface PreferenceLoss {

    /** Loss of each pair, shape [n]; {@code beta} has shape [n]. */
    Tensor perPair(PreferenceBatch batch, Tensor beta);

    /** Makes the loss from its knobs; bound by name in the registry. */
    interface Provider extends Component {
        PreferenceLoss create(Settings settings);
    }
}
