package betalab.api.preference;

import betalab.api.registry.ExtensionPoint;
import betalab.api.tensor.Tensor;

/**
 * A preference loss: per-pair losses from per-pair log-probabilities and a per-pair β (a fixed β
 * is the constant vector). Gradients flow into the log-probabilities and into β.
 */
public interface PreferenceLoss {

    /** The losses, bound by name ({@code sigmoid}, {@code ipo}, …); they need no context. */
    ExtensionPoint<PreferenceLoss, Void> POINT = ExtensionPoint.of("loss", "Losses", PreferenceLoss.class);

    /** Loss of each pair, shape [n]; {@code beta} has shape [n]. */
    Tensor perPair(PreferenceBatch batch, Tensor beta);

    /**
     * Whether a pair's loss depends on the other pairs of its batch (AOT sorts over the batch): such
     * a loss must see a whole batch at once, never a chunk of it, and per-pair weights mean nothing to it.
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
}
