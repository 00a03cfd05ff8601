package betalab.training;

import java.util.Map;
import java.util.function.IntFunction;

/**
 * Evaluates every {@code every} steps, at the last step and, in a new run, before the first step,
 * adding the evaluation's metrics to the row. The evaluator runs without recording gradients.
 */
public final class Evaluation implements TrainingListener {
    private final int every;
    private final boolean atStart;
    private final IntFunction<Map<String, ?>> evaluator;

    /** {@code evaluator} takes the step and gives the metrics. */
    public Evaluation(int every, boolean atStart, IntFunction<Map<String, ?>> evaluator) {
        if (every < 1) {
            throw new IllegalArgumentException("steps between evaluations must be ≥ 1, got " + every);
        }
        this.every = every;
        this.atStart = atStart;
        this.evaluator = evaluator;
    }

    @Override
    public void onStepEnd(Progress progress) {
        int step = progress.step();
        boolean due = step == 0 ? atStart : step % every == 0 || step == progress.steps();
        if (due) {
            try (var noGrad = betalab.api.tensor.Tensor.noGrad()) {
                progress.row().putAll(evaluator.apply(step));
            }
        }
    }
}
