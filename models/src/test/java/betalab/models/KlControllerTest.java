package betalab.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * kl_controller by hand: init 0.5, target 2, horizon 40, batches of 4 pairs, so the gain is
 * K = 4/40 = 0.1 and β ← β·(1 + 0.1·clip(KL/2 − 1, −0.2, 0.2)), KL = mean of (c + r)/2.
 * <pre>
 * step  KL    KL/2 − 1  clipped  multiplier  β used   β after
 * 1     2.2    0.1       0.1     1.01        0.5      0.505
 * 2     10     4         0.2     1.02        0.505    0.5151
 * 3    −3     −2.5      −0.2     0.98        0.5151   0.504798
 * 4     1.8   −0.1      −0.1     0.99        0.504798 0.49975002
 * </pre>
 */
class KlControllerTest {
    private static final double[] REF = {-1, -2, -3, -4};
    private static final PreferenceBatch[] STEPS = {
        batch(new double[] {2, 3, 1, 4}, new double[] {1, 2, 3, 1.6}),
        batch(new double[] {10, 10, 10, 10}, new double[] {10, 12, 8, 10}),
        batch(new double[] {-3, -3, -3, -3}, new double[] {-3, -1, -5, -3}),
        batch(new double[] {1.8, 2.8, 0.8, 1.8}, new double[] {1.8, 1.8, 1.8, 1.8})};
    private static final double[] USED = {0.5, 0.505, 0.5151, 0.504798};
    private static final double TOLERANCE = 1e-12;

    /** Pairs with log-ratios c and r, on references that differ per pair so that the ratio is what counts. */
    private static PreferenceBatch batch(double[] c, double[] r) {
        double[] pc = new double[4];
        double[] pr = new double[4];
        for (int i = 0; i < 4; i++) {
            pc[i] = c[i] + REF[i];
            pr[i] = r[i] + 2 * REF[i];
        }
        Tensor ref = Pairs.vector(REF);
        return PreferenceBatch.of(Pairs.vector(pc), Pairs.vector(pr), ref, ref.mul(2.0)).build();
    }

    private static KlController controller(double horizon) {
        return (KlController) Pairs.create("kl_controller", Map.of("init", 0.5, "target", 2.0, "horizon", horizon),
                Pairs.context(1));
    }

    @Test
    void fourUpdatesByHandIncludingBothClips() {
        KlController k = controller(40);
        assertThat(KlController.klProxy(STEPS[0])).isCloseTo(2.2, within(TOLERANCE));
        for (int step = 0; step < 4; step++) {
            BetaEstimator.Estimate e = k.train(STEPS[step]);
            assertThat(e.beta().toDoubleArray()).as("step %d", step + 1)
                    .containsExactly(new double[] {USED[step], USED[step], USED[step], USED[step]}, within(TOLERANCE));
            assertThat(e.beta().requiresGrad()).isFalse();
        }
        assertThat(k.value()).isCloseTo(0.49975002, within(TOLERANCE));
        assertThat(k.baseBeta()).isEqualTo(0.5);
    }

    /** Evaluation reads the current β and moves nothing, whatever the batch's KL. */
    @Test
    void betaDoesNotUpdate() {
        KlController k = controller(40);
        k.train(STEPS[0]);
        assertThat(k.beta(STEPS[1]).toDoubleArray()).containsOnly(k.value());
        assertThat(k.value()).isCloseTo(0.505, within(TOLERANCE));
    }

    @Test
    void aRestoredControllerContinuesTheSequence() {
        KlController trained = controller(40);
        trained.train(STEPS[0]);
        trained.train(STEPS[1]);
        KlController resumed = controller(40);
        resumed.loadState(trained.state());
        assertThat(resumed.train(STEPS[2]).beta().toDoubleArray()[0]).isCloseTo(0.5151, within(TOLERANCE));
        assertThat(resumed.train(STEPS[3]).beta().toDoubleArray()[0]).isCloseTo(0.504798, within(TOLERANCE));
        assertThat(resumed.value()).isCloseTo(0.49975002, within(TOLERANCE));
    }

    /** Horizon 0.5 with 4 pairs: gain 8, a clipped −0.2 error gives the multiplier −0.6, refused. */
    @Test
    void refusesAGainThatWouldFlipBetasSign() {
        KlController k = controller(0.5);
        assertThatThrownBy(() -> k.train(STEPS[2])).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("horizon above 0.8");
        assertThat(k.value()).isEqualTo(0.5);
    }
}
