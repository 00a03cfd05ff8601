package betalab.api.preference;

import betalab.api.tensor.Tensor;
import java.util.List;

/** What a training step minimises: a β scheme feeding a preference loss, averaged over the batch. */
public interface PreferenceObjective {

    Evaluation evaluate(PreferenceBatch batch);

    /** The β scheme's trainable parameters. */
    List<Tensor> parameters();

    /**
     * One evaluation.
     *
     * @param loss  the mean loss, a scalar to call {@code backward()} on
     * @param perPair the loss of each pair
     * @param beta  the β used for each pair
     */
    record Evaluation(Tensor loss, Tensor perPair, Tensor beta) {
    }

    /** Joins a β scheme and a loss into an objective; bound once in the registry. */
    interface Assembler {
        PreferenceObjective assemble(BetaEstimator beta, PreferenceLoss loss);
    }
}
