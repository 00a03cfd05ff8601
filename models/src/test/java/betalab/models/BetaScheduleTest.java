package betalab.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * beta_schedule by hand, start 0.5, end 0.1, steps 4: β(t) = 0.5 − 0.4·s(t/4), then 0.1.
 * <pre>
 * t          0     1                      2     3                      4     5
 * linear     0.5   0.4                    0.3   0.2                    0.1   0.1
 * cosine     0.5   0.3 + 0.1·√2           0.3   0.3 − 0.1·√2           0.1   0.1
 * constant   0.5   0.5                    0.5   0.5                    0.1   0.1
 * </pre>
 * (cosine: s(¼) = (1 − √2/2)/2, so 0.5 − 0.4·s = 0.3 + 0.1·√2.)
 */
class BetaScheduleTest {
    private static final PreferenceBatch PAIRS = Pairs.margins(0.5, -1.0, 2.0);
    private static final double R2 = 0.1 * Math.sqrt(2);

    private static BetaEstimator schedule(String shape) {
        return Pairs.create("beta_schedule", Map.of("start", 0.5, "end", 0.1, "steps", 4, "shape", shape),
                Pairs.context(1));
    }

    @ParameterizedTest
    @CsvSource({"linear, 0.5, 0.4, 0.3, 0.2, 0.1, 0.1",
            "cosine, 0.5, 0.44142135623730950, 0.3, 0.15857864376269050, 0.1, 0.1",
            "constant, 0.5, 0.5, 0.5, 0.5, 0.1, 0.1"})
    void eachTrainingStepTakesTheScheduledBeta(String shape, double t0, double t1, double t2, double t3, double t4,
                                               double t5) {
        BetaEstimator s = schedule(shape);
        for (double expected : new double[] {t0, t1, t2, t3, t4, t5}) {
            BetaEstimator.Estimate e = s.train(PAIRS);
            assertThat(e.beta().toDoubleArray()).containsExactly(new double[] {expected, expected, expected},
                    within(1e-15));
            assertThat(e.beta().requiresGrad()).isFalse();
            assertThat(e.weights()).isNull();
        }
        assertThat(s.baseBeta()).isEqualTo(0.5);
    }

    @Test
    void cosineMidpointsAgainstTheClosedForm() {
        BetaEstimator s = schedule("cosine");
        s.train(PAIRS);
        assertThat(s.train(PAIRS).beta().toDoubleArray()[0]).isCloseTo(0.3 + R2, within(1e-15));
        s.train(PAIRS);
        assertThat(s.train(PAIRS).beta().toDoubleArray()[0]).isCloseTo(0.3 - R2, within(1e-15));
    }

    /** Evaluation answers at the step about to be trained, however often it is asked. */
    @Test
    void betaDoesNotAdvanceTheSchedule() {
        BetaEstimator s = schedule("linear");
        s.train(PAIRS);
        for (int i = 0; i < 3; i++) {
            assertThat(s.beta(PAIRS).toDoubleArray()).containsOnly(0.4);
        }
        assertThat(s.train(PAIRS).beta().toDoubleArray()).containsOnly(0.4);
        assertThat(s.state().get("step")).containsExactly(2);
    }

    /** Two steps, a checkpoint, a fresh scheme restored from it: the schedule continues at t = 2. */
    @Test
    void aRestoredScheduleContinuesWhereItStopped() {
        BetaEstimator trained = schedule("linear");
        trained.train(PAIRS);
        trained.train(PAIRS);
        BetaEstimator resumed = schedule("linear");
        resumed.loadState(trained.state());
        assertThat(resumed.train(PAIRS).beta().toDoubleArray()[0]).isCloseTo(0.3, within(1e-15));
        assertThat(resumed.train(PAIRS).beta().toDoubleArray()[0]).isCloseTo(0.2, within(1e-15));
    }

    @Test
    void refusesAMissingOrFractionalStep() {
        BetaEstimator s = schedule("linear");
        assertThatThrownBy(() -> s.loadState(Map.of())).hasMessageContaining("'step'");
        assertThatThrownBy(() -> s.loadState(Map.of("step", new double[] {1.5}))).hasMessageContaining("whole");
        assertThatThrownBy(() -> Pairs.create("beta_schedule", Map.of("steps", 0), Pairs.context(1)))
                .hasMessageContaining("steps");
    }
}
