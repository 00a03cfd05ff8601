package betalab.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.optim.Optimizer;
import betalab.api.registry.Settings;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * The schedule's factors against values worked by hand from transformers' lambdas
 * (get_cosine_with_min_lr_schedule_with_warmup, get_linear_schedule_with_warmup,
 * get_constant_schedule_with_warmup), and the rates it sets in the loop, resumed or not.
 */
class LearningRateScheduleTest {
    private static final Offset<Double> CLOSE = Offset.offset(1e-12);

    private static LearningRateSchedule schedule(int warmup, String decay, double floor, int steps, double lr) {
        Settings s = Settings.resolve("schedule", LearningRateSchedule.KNOBS,
                Map.of("warmup_steps", warmup, "decay", decay, "min_lr_ratio", floor));
        return new LearningRateSchedule(s, ToyTraining.sgd(Map.of(), lr), steps);
    }

    @Test
    void cosineWarmsUpLinearlyThenFallsToItsFloor() {
        LearningRateSchedule s = schedule(10, "cosine", 0.1, 100, 1);
        assertThat(s.factor(0)).isEqualTo(0.0);
        assertThat(s.factor(5)).isCloseTo(0.5, CLOSE);
        assertThat(s.factor(10)).isCloseTo(1.0, CLOSE);
        // progress 15/90 = 1/6: 0.1 + 0.9·½(1 + cos(π/6)) = 0.1 + 0.9·0.9330127018922193
        assertThat(s.factor(25)).isCloseTo(0.9397114317029974, CLOSE);
        assertThat(s.factor(55)).isCloseTo(0.55, CLOSE);
        assertThat(s.factor(100)).isCloseTo(0.1, CLOSE);
        // Without a floor, as get_cosine_schedule_with_warmup: ½(1 + cos(π·(70 − 10)/90)) = ½(1 + cos(2π/3)) = 0.25
        assertThat(schedule(10, "cosine", 0, 100, 1).factor(70)).isCloseTo(0.25, CLOSE);
    }

    @Test
    void linearAndConstantAsTransformersHaveThem() {
        LearningRateSchedule linear = schedule(4, "linear", 0, 20, 1);
        assertThat(linear.factor(1)).isCloseTo(0.25, CLOSE);
        // (20 − 8)/(20 − 4) = 0.75
        assertThat(linear.factor(8)).isCloseTo(0.75, CLOSE);
        assertThat(linear.factor(20)).isCloseTo(0.0, CLOSE);
        // with a floor of 0.2: 0.2 + 0.8·0.75
        assertThat(schedule(4, "linear", 0.2, 20, 1).factor(8)).isCloseTo(0.8, CLOSE);
        LearningRateSchedule constant = schedule(3, "constant", 0.5, 20, 1);
        assertThat(constant.factor(2)).isCloseTo(2.0 / 3, CLOSE);
        assertThat(constant.factor(3)).isEqualTo(1.0);
        assertThat(constant.factor(20)).isEqualTo(1.0);
        // No warm-up and no decay: the rate as configured, every step.
        assertThat(schedule(0, "constant", 0, 5, 1).factor(0)).isEqualTo(1.0);
    }

    @Test
    void knobsAreCheckedByName() {
        assertThatThrownBy(() -> Settings.resolve("schedule", LearningRateSchedule.KNOBS, Map.of("min_lr_ratio", 1.5)))
                .hasMessageContaining("min_lr_ratio");
        assertThatThrownBy(() -> Settings.resolve("schedule", LearningRateSchedule.KNOBS, Map.of("decay", "step")))
                .hasMessageContaining("decay");
        assertThatThrownBy(() -> Settings.resolve("schedule", LearningRateSchedule.KNOBS, Map.of("warmup_steps", -1)))
                .hasMessageContaining("warmup_steps");
    }

    /**
     * SGD on the toy loss (w − t)², t = 10, 11, 12, 13, lr 0.25 under warm-up 2 and cosine decay to
     * 0.2 over 4 steps: rates 0, 0.125, 0.25, 0.15. By hand, w = 0.5 → 0.5 → 3.125 → 7.5625 → 9.19375.
     */
    @Test
    void theLoopUpdatesWithTheScheduledRateAndLogsIt() {
        ToyTraining toy = new ToyTraining(true, 4);
        Optimizer sgd = ToyTraining.sgd(toy.parameters(), 0.25);
        ListenersTest.Rows rows = new ListenersTest.Rows();
        Settings settings = Settings.resolve("schedule", LearningRateSchedule.KNOBS,
                Map.of("warmup_steps", 2, "decay", "cosine", "min_lr_ratio", 0.2));
        new Trainer<>(toy, sgd, 4, List.of(new LearningRateSchedule(settings, sgd, 4), new MetricsLogger(1), rows))
                .run(0);
        double[] rates = {0, 0.125, 0.25, 0.15};
        for (int step = 1; step <= 4; step++) {
            assertThat((Double) rows.rows.get(step).get("learning_rate")).isCloseTo(rates[step - 1], CLOSE);
        }
        assertThat(toy.w.item()).isCloseTo(9.19375, CLOSE);

        // Stopped after step 2 and continued with a new optimizer and schedule: the same rates follow.
        ToyTraining resumed = new ToyTraining(true, 4);
        Optimizer first = ToyTraining.sgd(resumed.parameters(), 0.25);
        new Trainer<>(resumed, first, 4, List.of(new LearningRateSchedule(settings, first, 4))).run(0, 2);
        assertThat(resumed.w.item()).isCloseTo(3.125, CLOSE);
        Optimizer second = ToyTraining.sgd(resumed.parameters(), 0.25);
        new Trainer<>(resumed, second, 4, List.of(new LearningRateSchedule(settings, second, 4))).run(2);
        assertThat(resumed.w.item()).isCloseTo(9.19375, CLOSE);
    }
}
