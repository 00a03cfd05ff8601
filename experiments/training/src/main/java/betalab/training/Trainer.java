package betalab.training;

import betalab.api.optim.Optimizer;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * The one training loop: for each batch, the forward pass, the backward pass and the optimizer's
 * update, with everything else (checks, clipping, metrics, evaluation, checkpoints, records) done by
 * listeners. Every kind of run — the seed experiment, policy training, offline β fitting, and the
 * benchmarks that time them — goes through it.
 *
 * @param <B> a batch
 */
public final class Trainer<B> {
    private final Trainable<B> trainable;
    private final Optimizer optimizer;
    private final int steps;
    private final List<TrainingListener> listeners;
    private final Progress progress;

    /**
     * @param optimizer updates the parameters; null when there are none (a fixed β only reports)
     * @param steps     the run's total steps
     */
    public Trainer(Trainable<B> trainable, Optimizer optimizer, int steps, List<TrainingListener> listeners) {
        Map<String, Tensor> parameters = trainable.parameters();
        if (optimizer == null && !parameters.isEmpty()) {
            throw new IllegalArgumentException("an optimizer is needed for the parameters " + parameters.keySet());
        }
        this.trainable = trainable;
        this.optimizer = parameters.isEmpty() ? null : optimizer;
        this.steps = steps;
        this.listeners = List.copyOf(listeners);
        this.progress = new Progress(parameters, this.optimizer, steps, trainable.stepsPerEpoch());
    }

    /** Trains from step {@code from} (0 for a new run) to the end; returns "completed". */
    public String run(int from) {
        return run(from, Integer.MAX_VALUE);
    }

    /**
     * Trains from step {@code from}, stopping (as if interrupted) once {@code stopAfter} steps are
     * done; returns "completed" or "interrupted". A failure is reported to the listeners, then thrown.
     */
    public String run(int from, int stopAfter) {
        int last = Math.min(steps, stopAfter);
        progress.begin(from);
        try {
            listeners.forEach(l -> l.onStart(progress));
            if (from == 0) {
                listeners.forEach(l -> l.onStepEnd(progress));
            }
            int spe = trainable.stepsPerEpoch();
            while (progress.step() < last) {
                int done = progress.step();
                trainable.batches(done / spe + 1, done % spe, batch -> {
                    step(progress.step() + 1, batch);
                    return progress.step() < last && !progress.endsEpoch();
                });
                if (progress.step() == done) {
                    throw new IllegalStateException("epoch " + (done / spe + 1) + " gave no batch at position "
                            + done % spe);
                }
            }
        } catch (RuntimeException e) {
            // String.valueOf: an exception may have no message.
            RuntimeException reported = e instanceof IllegalStateException && progress.step() > 0
                    && !String.valueOf(e.getMessage()).startsWith("step ")
                    ? new IllegalStateException("step " + progress.step() + ": " + e.getMessage(), e) : e;
            listeners.forEach(l -> l.onEnd(progress, "failed", reported));
            throw reported;
        }
        String status = progress.step() >= steps ? "completed" : "interrupted";
        listeners.forEach(l -> l.onEnd(progress, status, null));
        return status;
    }

    private void step(int step, B batch) {
        progress.begin(step);
        StepResult result = trainable.forward(batch);
        listeners.forEach(l -> l.afterForward(progress, result));
        if (optimizer != null) {
            optimizer.zeroGrad();
            result.loss().backward();
            listeners.forEach(l -> l.afterBackward(progress));
            optimizer.step();
        }
        listeners.forEach(l -> l.onStepEnd(progress));
    }
}
