package betalab.api.preference;

import betalab.api.registry.Component;
import betalab.api.registry.DefinedComponent;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.function.Function;

/**
 * A preference loss: per-pair losses from per-pair log-probabilities and a per-pair β (a fixed β
 * is the constant vector). Gradients flow into the log-probabilities and into β.
 */
public interface PreferenceLoss {

    /** Loss of each pair, shape [n]; {@code beta} has shape [n]. */
    Tensor perPair(PreferenceBatch batch, Tensor beta);

    /**
     * Whether a pair's loss depends on the other pairs of its batch (AOT sorts over the batch): such
     * a loss must see a whole batch at once, never a chunk of it.
     */
    default boolean batchCoupled() {
        return false;
    }

    /** {@code loss}, declared batch-coupled. */
    static PreferenceLoss coupled(PreferenceLoss loss) {
        return new PreferenceLoss() {
            @Override
            public Tensor perPair(PreferenceBatch batch, Tensor beta) {
                return loss.perPair(batch, beta);
            }

            @Override
            public boolean batchCoupled() {
                return true;
            }
        };
    }

    /** Makes the loss from its knobs; bound by name in the registry. */
    interface Provider extends Component {
        PreferenceLoss create(Settings settings);

        /** A provider from its description, its knobs and how it builds the loss from them. */
        static Provider of(String description, List<Knob> knobs, Function<Settings, PreferenceLoss> factory) {
            final class Defined extends DefinedComponent implements Provider {
                Defined(Class<?> origin) {
                    super(description, knobs, origin);
                }

                @Override
                public PreferenceLoss create(Settings settings) {
                    return factory.apply(settings);
                }
            }
            return new Defined(DefinedComponent.definer());
        }
    }
}
