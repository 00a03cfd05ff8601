package betalab.training;

import betalab.api.optim.Optimizer;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import java.util.List;

/**
 * The learning rate by step, as transformers' schedulers set it: a linear warm-up from 0 over
 * {@code warmup_steps}, then constant, or a linear or cosine decay that reaches
 * {@code min_lr_ratio}·lr at the last step ({@code get_constant_schedule_with_warmup},
 * {@code get_linear_schedule_with_warmup}, {@code get_cosine_with_min_lr_schedule_with_warmup}).
 * lr is the optimizer's configured rate. Update n (from 0) uses the factor at n, as a scheduler
 * stepped after each optimizer step gives it, so with a warm-up the first update has rate 0.
 *
 * <p>As a training listener it sets the optimizer's rate before each update from the step number
 * alone: it holds no state, so a resumed run goes on with exactly the rates of an uninterrupted one.
 */
public final class LearningRateSchedule implements TrainingListener {
    public static final Knob<Integer> WARMUP_STEPS = Knob.integer("warmup_steps", 0,
            "steps over which the learning rate rises linearly from 0 to the optimizer's lr").atLeast(0);
    public static final Knob<String> DECAY = Knob.text("decay", "constant",
            "after the warm-up: constant, or a linear or cosine decay to min_lr_ratio·lr at the last step",
            "constant", "linear", "cosine");
    public static final Knob<Double> MIN_LR_RATIO = Knob.real("min_lr_ratio", 0.0,
            "where a decay ends, as a share of the optimizer's lr").between(0, 1, true);

    /** The knobs of a config's schedule section. */
    public static final List<Knob<?>> KNOBS = List.of(WARMUP_STEPS, DECAY, MIN_LR_RATIO);

    private final Optimizer optimizer;
    private final double base;
    private final int warmup;
    private final String decay;
    private final double floor;
    private final int steps;

    /** The schedule {@code settings} describe for a run of {@code steps}, from the optimizer's rate as configured. */
    public LearningRateSchedule(Settings settings, Optimizer optimizer, int steps) {
        this.optimizer = optimizer;
        this.base = optimizer.learningRate();
        this.warmup = settings.get(WARMUP_STEPS);
        this.decay = settings.get(DECAY);
        this.floor = settings.get(MIN_LR_RATIO);
        this.steps = steps;
    }

    /** The share of the base rate that update {@code n} (from 0) uses. */
    public double factor(int n) {
        if (n < warmup) {
            return (double) n / Math.max(1, warmup);
        }
        double progress = (double) (n - warmup) / Math.max(1, steps - warmup);
        double shape = switch (decay) {
            case "linear" -> Math.max(0, 1 - progress);
            case "cosine" -> 0.5 * (1 + Math.cos(Math.PI * progress));
            default -> 1;
        };
        return decay.equals("constant") ? 1 : Math.max(0, floor + (1 - floor) * shape);
    }

    @Override
    public void afterBackward(Progress progress) {
        optimizer.learningRate(base * factor(progress.step() - 1));
    }
}
