package betalab.training;

/**
 * Adds the training metrics to the row every {@code every} steps, at the end of each epoch and at
 * the last step: the loss, the gradient norm and the step's own metrics, each averaged over the
 * steps since the last logged row (the step metrics over their pairs), and the learning rate.
 */
public final class MetricsLogger implements TrainingListener {
    private final int every;
    private StepResult current;
    private StepMetrics metrics;
    private double loss;
    private double gradNorm;
    private int count;

    public MetricsLogger(int every) {
        if (every < 1) {
            throw new IllegalArgumentException("steps per logged row must be ≥ 1, got " + every);
        }
        this.every = every;
    }

    /** Whether steps were measured since the last row: they are not yet in any row, nor in a checkpoint. */
    public boolean pending() {
        return count > 0;
    }

    @Override
    public void afterForward(Progress progress, StepResult result) {
        current = result;
    }

    @Override
    public void onStepEnd(Progress progress) {
        if (progress.step() == 0 || current == null) {
            return;
        }
        loss += current.loss().item();
        gradNorm += progress.gradNorm();
        if (metrics == null) {
            metrics = current.metrics();
        } else if (current.metrics() != null) {
            metrics.add(current.metrics());
        }
        count++;
        current = null;
        if (progress.step() % every == 0 || progress.endsEpoch()) {
            var row = progress.row();
            row.put("loss", loss / count);
            if (progress.optimizer() != null) {
                row.put("grad_norm", gradNorm / count);
                row.put("learning_rate", progress.optimizer().learningRate());
            }
            if (metrics != null) {
                row.putAll(metrics.values());
            }
            metrics = null;
            loss = 0;
            gradNorm = 0;
            count = 0;
        }
    }
}
