package betalab.api.preference;

import betalab.api.Stateful;
import betalab.api.registry.ExtensionPoint;
import betalab.api.tensor.Tensor;
import java.util.Map;

/**
 * A preference loss: per-pair losses from per-pair log-probabilities and a per-pair β (a fixed β
 * is the constant vector). Gradients flow into the log-probabilities and into β. Most losses are
 * pure functions; one with running statistics (bco_pair's reward shift) updates them in
 * {@link #train} and keeps them as its checkpointed state.
 */
public interface PreferenceLoss extends Stateful {

    /** The losses, bound by name ({@code sigmoid}, {@code ipo}, …); they need no context. */
    ExtensionPoint<PreferenceLoss, Void> POINT = ExtensionPoint.of("loss", "Losses", PreferenceLoss.class);

    /** Loss of each pair, shape [n]; {@code beta} has shape [n]. Has no side effects (evaluation uses it). */
    Tensor perPair(PreferenceBatch batch, Tensor beta);

    /** The loss of each pair for one training step: running statistics move here. */
    default Tensor train(PreferenceBatch batch, Tensor beta) {
        return perPair(batch, beta);
    }

    /**
     * Whether a pair's loss depends on the other pairs of its batch (AOT sorts over the batch): such
     * a loss must see a whole batch at once, never a chunk of it, and per-pair weights mean nothing to it.
     */
    default boolean batchCoupled() {
        return false;
    }

    /** Running statistics by name; none for a pure loss. */
    @Override
    default Map<String, double[]> state() {
        return Map.of();
    }

    @Override
    default void loadState(Map<String, double[]> state) {
    }

    /** {@code loss}, declared batch-coupled. */
    static PreferenceLoss coupled(PreferenceLoss loss) {
        return new PreferenceLoss() {
            @Override
            public Tensor perPair(PreferenceBatch batch, Tensor beta) {
                return loss.perPair(batch, beta);
            }

            @Override
            public Tensor train(PreferenceBatch batch, Tensor beta) {
                return loss.train(batch, beta);
            }

            @Override
            public boolean batchCoupled() {
                return true;
            }

            @Override
            public Map<String, double[]> state() {
                return loss.state();
            }

            @Override
            public void loadState(Map<String, double[]> state) {
                loss.loadState(state);
            }
        };
    }
}
