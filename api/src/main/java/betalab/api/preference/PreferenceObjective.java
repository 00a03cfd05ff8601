package betalab.api.preference;

import betalab.api.tensor.Tensor;
import java.util.List;

/** What a training step minimises: a β scheme feeding a preference loss, averaged over the batch. */
public interface PreferenceObjective {

    /** The objective for one training step: running statistics move, pair weights and penalties apply. */
    Evaluation train(PreferenceBatch batch);

    /** The objective without side effects, every pair weighted equally, no penalty: for evaluation. */
    Evaluation evaluate(PreferenceBatch batch);

    /** The β scheme's trainable parameters. */
    List<Tensor> parameters();

    /**
     * One evaluation.
     *
     * @param loss    the weighted mean loss plus any penalty, a scalar to call {@code backward()} on
     * @param perPair the loss of each pair
     * @param beta    the β used for each pair
     * @param weights the weight of each pair, or null where all counted equally
     */
    record Evaluation(Tensor loss, Tensor perPair, Tensor beta, Tensor weights) {
    }

    /** Joins a β scheme and a loss into an objective; bound once in the registry. */
    interface Assembler {
        PreferenceObjective assemble(BetaEstimator beta, PreferenceLoss loss);
    }
}
