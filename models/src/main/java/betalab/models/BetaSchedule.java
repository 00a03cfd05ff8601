package betalab.models;

import betalab.api.Stateful;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * β as a function of the training step, the same for every pair: β(t) = start + (end − start)·s(t/steps)
 * for t &lt; steps and β(t) = end from t = steps on, with s(u) = u (linear), (1 − cos πu)/2 (cosine)
 * or 0 (constant: β = start until step {@code steps}, then end; with end = start a constant β). The
 * cheap non-learned baseline a learned β must beat (issue 12; annealed-β schedules as in curriculum
 * and warm-up practice, no single source).
 *
 * <p>t counts the scheme's {@link #train} calls, one per training step, so the first step runs at
 * t = 0 (β = start); t is the checkpointed state. {@link #beta} (evaluation) answers at the current t,
 * the step about to be trained, and does not advance it.
 */
public final class BetaSchedule implements BetaEstimator {
    static final String CONSTANT = "constant";
    static final String LINEAR = "linear";
    static final String COSINE = "cosine";

    static final Knob<Double> START = Knob.real("start", 0.1, "β at step 0").positive();
    static final Knob<Double> END = Knob.real("end", 0.1, "β at step `steps` and after").positive();
    static final Knob<Integer> STEPS = Knob.integer("steps", 1000, "the schedule's length in training steps")
            .positive();
    static final Knob<String> SHAPE = Knob.text("shape", LINEAR, "s(u) of β = start + (end − start)·s(t/steps): "
            + "constant (0 until steps, then end), linear (u) or cosine ((1 − cos πu)/2)", CONSTANT, LINEAR, COSINE);
    static final List<Knob<?>> KNOBS = List.of(START, END, STEPS, SHAPE);

    private final double start;
    private final double end;
    private final int steps;
    private final String shape;
    private long step;

    BetaSchedule(double start, double end, int steps, String shape) {
        if (!(start > 0 && end > 0 && steps > 0)) {
            throw new IllegalArgumentException("beta_schedule needs start > 0, end > 0 and steps > 0, got "
                    + start + ", " + end + ", " + steps);
        }
        this.start = start;
        this.end = end;
        this.steps = steps;
        this.shape = shape;
    }

    static BetaSchedule fromSettings(Settings settings, Context context) {
        return new BetaSchedule(settings.get(START), settings.get(END), settings.get(STEPS), settings.get(SHAPE));
    }

    /** β at step t. */
    double at(long t) {
        if (t >= steps) {
            return end;
        }
        double u = (double) t / steps;
        double s = switch (shape) {
            case LINEAR -> u;
            case COSINE -> (1 - Math.cos(Math.PI * u)) / 2;
            default -> 0;
        };
        return start + (end - start) * s;
    }

    /** The number of training steps taken so far, the t of the next one. */
    public long step() {
        return step;
    }

    @Override
    public Tensor beta(PreferenceBatch batch) {
        return batch.policyChosen().detach().zerosLike().add(at(step));
    }

    @Override
    public Estimate train(PreferenceBatch batch) {
        Tensor beta = beta(batch);
        step++;
        return new Estimate(beta, null, null);
    }

    @Override
    public double baseBeta() {
        return start;
    }

    /** "step": the training steps taken (a double holds every count a run reaches exactly). */
    @Override
    public Map<String, double[]> state() {
        return Map.of("step", new double[] {step});
    }

    @Override
    public void loadState(Map<String, double[]> state) {
        double saved = Stateful.entry(state, "step", 1)[0];
        if (!(saved >= 0) || saved != Math.rint(saved)) {
            throw new IllegalArgumentException("saved state entry 'step' must be a whole number ≥ 0, got " + saved);
        }
        step = (long) saved;
    }
}
