package betalab.training;

import betalab.api.Stateful;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Saves the run's state every {@code every} steps and at the last step of this process, after the
 * step's row is recorded, so a resumed run continues from exactly there. With a metrics logger
 * whose interval is still open (log_every &gt; 1), a save waits for the row that closes it, since
 * the steps measured so far would not be in the checkpoint; a process that stops inside an
 * interval resumes from the checkpoint before and writes those steps again.
 */
public final class Checkpoints implements TrainingListener {
    private final int every;
    private final RunDirectory run;
    private final Map<String, Stateful> state;
    private final MetricsLogger logger;
    private boolean due;

    /** {@code state}: everything to save, by name (the trainable's state and the optimizer). */
    public Checkpoints(int every, RunDirectory run, Map<String, Stateful> state) {
        this(every, run, state, null);
    }

    /** Saves only where {@code logger} (null for none) has no steps waiting for their row. */
    public Checkpoints(int every, RunDirectory run, Map<String, Stateful> state, MetricsLogger logger) {
        if (every < 1) {
            throw new IllegalArgumentException("steps between checkpoints must be ≥ 1, got " + every);
        }
        this.every = every;
        this.run = run;
        this.state = new LinkedHashMap<>(state);
        this.logger = logger;
    }

    private boolean settled() {
        return logger == null || !logger.pending();
    }

    @Override
    public void onStepEnd(Progress progress) {
        due |= progress.step() > 0 && progress.step() % every == 0;
        if (due && settled()) {
            run.saveCheckpoint(progress.step(), state);
            due = false;
        }
    }

    @Override
    public void onEnd(Progress progress, String status, RuntimeException error) {
        if (!"failed".equals(status) && progress.step() > 0 && settled()) {
            run.saveCheckpoint(progress.step(), state);
        }
    }
}
