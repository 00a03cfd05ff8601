package betalab.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.PreferenceBatch;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The metrics of a hand-built batch against values worked out by hand. Numbers are dyadic, so
 * every sum is exact. Log-ratios: c = (0.5, −0.125, −0.375, 1), r = (0.25, −0.125, 0.25, −0.5); pair 1
 * is a tie (c = r), pairs 0 and 3 have h = c − r &gt; 0. β₀ = 0.5; each pair's β = (0.25, 0.5, 0.125, 0.75).
 */
class PreferenceMetricsTest {
    private static final double[] POLICY_CHOSEN = {-1.5, -2.0, -3.0, -0.5};
    private static final double[] REF_CHOSEN = {-2.0, -1.875, -2.625, -1.5};
    private static final double[] POLICY_REJECTED = {-1.25, -2.5, -1.0, -3.0};
    private static final double[] REF_REJECTED = {-1.5, -2.375, -1.25, -2.5};
    private static final double[] BETA = {0.25, 0.5, 0.125, 0.75};
    private static final double[] LOSS = {0.5, 0.25, 1.5, 0.75};

    private static PreferenceMetrics of(int from, int to) {
        PreferenceBatch batch = PreferenceBatch.of(v(POLICY_CHOSEN, from, to), v(POLICY_REJECTED, from, to),
                v(REF_CHOSEN, from, to), v(REF_REJECTED, from, to)).build();
        return PreferenceMetrics.of(batch, v(BETA, from, to), v(LOSS, from, to), 0.5);
    }

    private static Tensor v(double[] values, int from, int to) {
        return Tensor.of(DType.FLOAT64, java.util.Arrays.copyOfRange(values, from, to), to - from);
    }

    @Test
    void everyMetricMatchesAHandComputation() {
        PreferenceMetrics m = of(0, 4);
        Map<String, Double> values = m.values();

        assertThat(values).containsExactly(
                entry("rewards/chosen", 0.125),          // 0.5 · (0.5 − 0.125 − 0.375 + 1) / 4
                entry("rewards/rejected", -0.015625),    // 0.5 · (0.25 − 0.125 + 0.25 − 0.5) / 4
                entry("rewards/accuracies", 0.5),        // pairs 0 and 3; the tie is not accurate
                entry("rewards/margins", 0.140625),
                entry("rewards_beta/chosen", 0.19140625), // (0.125 − 0.0625 − 0.046875 + 0.75) / 4
                entry("rewards_beta/rejected", -0.0859375), // (0.0625 − 0.0625 + 0.03125 − 0.375) / 4
                entry("rewards_beta/accuracies", 0.5),
                entry("rewards_beta/margins", 0.27734375),
                entry("logps/chosen", -1.75),
                entry("logps/rejected", -1.9375),
                entry("beta/mean", 0.40625),
                entry("beta/std", Math.sqrt(0.0576171875)), // squared deviations 0.23046875 / 4
                entry("beta/min", 0.125),
                entry("beta/max", 0.75),
                entry("beta/mean_h_pos", 0.5),           // pairs 0 and 3
                entry("beta/mean_h_neg", 0.3125));       // the tie and pair 2
        assertThat(m.pairs()).isEqualTo(4);
        assertThat(m.meanLoss()).isEqualTo(0.75);
        assertThat(m.values("eval/")).containsEntry("eval/rewards/margins", 0.140625).hasSize(16);
    }

    @Test
    void aTieIsNotAccurateWithEitherBeta() {
        PreferenceMetrics tie = of(1, 2);
        assertThat(tie.values()).containsEntry("rewards/accuracies", 0.0)
                .containsEntry("rewards_beta/accuracies", 0.0)
                .containsEntry("rewards/margins", 0.0)
                .containsEntry("beta/mean_h_neg", 0.5)
                .doesNotContainKey("beta/mean_h_pos"); // no pair with h > 0: no value rather than NaN
    }

    @Test
    void twoBatchesAddedAreOneBatchOfBoth() {
        PreferenceMetrics first = of(0, 2);
        first.add(of(2, 4));
        PreferenceMetrics both = of(0, 4);
        assertThat(first.pairs()).isEqualTo(4);
        assertThat(first.meanLoss()).isEqualTo(both.meanLoss());
        Map<String, Double> added = first.values();
        both.values().forEach((k, v) -> assertThat(added.get(k)).as(k).isCloseTo(v, within(1e-15)));
        assertThat(added.keySet()).containsExactlyElementsOf(both.values().keySet());
    }

    @Test
    void anEmptyIntervalAddsNothing() {
        PreferenceMetrics empty = new PreferenceMetrics(0.5);
        empty.add(of(0, 4));
        assertThat(empty.values()).isEqualTo(of(0, 4).values());
    }
}
