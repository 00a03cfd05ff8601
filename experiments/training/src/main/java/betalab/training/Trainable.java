package betalab.training;

import betalab.api.Stateful;
import betalab.api.tensor.Tensor;
import java.util.Map;
import java.util.function.Predicate;

/**
 * What the {@link Trainer} trains: where its batches come from, how a batch becomes a loss, the
 * parameters the loss trains, and the state a checkpoint must hold to continue exactly. The seed
 * experiment, policy training on a task and offline β fitting are three of these.
 *
 * @param <B> a batch
 */
public interface Trainable<B> {

    /** The parameters trained, by a name that errors and checks can show ("policy.weight"). */
    Map<String, Tensor> parameters();

    /** Batches in one epoch. */
    int stepsPerEpoch();

    /**
     * Hands the batches of {@code epoch} (from 1), starting at position {@code skip}, to {@code step}
     * in order, and stops as soon as it returns false.
     */
    void batches(int epoch, int skip, Predicate<B> step);

    /** The loss of one batch, with the graph its gradient flows through, and the batch's metrics. */
    StepResult forward(B batch);

    /**
     * Everything a checkpoint saves besides the optimizer, by name: parameters, generators, running
     * statistics, the epoch's order. Empty for a run that cannot resume.
     */
    default Map<String, Stateful> state() {
        return Map.of();
    }
}
