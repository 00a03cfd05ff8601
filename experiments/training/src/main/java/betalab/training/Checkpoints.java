package betalab.training;

import betalab.api.Stateful;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Saves the run's state every {@code every} steps and at the last step of this process, after the
 * step's row is recorded, so a resumed run continues from exactly there.
 */
public final class Checkpoints implements TrainingListener {
    private final int every;
    private final RunDirectory run;
    private final Map<String, Stateful> state;

    /** {@code state}: everything to save, by name (the trainable's state and the optimizer). */
    public Checkpoints(int every, RunDirectory run, Map<String, Stateful> state) {
        if (every < 1) {
            throw new IllegalArgumentException("steps between checkpoints must be ≥ 1, got " + every);
        }
        this.every = every;
        this.run = run;
        this.state = new LinkedHashMap<>(state);
    }

    @Override
    public void onStepEnd(Progress progress) {
        if (progress.step() > 0 && progress.step() % every == 0) {
            run.saveCheckpoint(progress.step(), state);
        }
    }

    @Override
    public void onEnd(Progress progress, String status, RuntimeException error) {
        if (!"failed".equals(status) && progress.step() > 0) {
            run.saveCheckpoint(progress.step(), state);
        }
    }
}
