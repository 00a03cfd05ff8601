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

    @Test
    void tokenStatisticsMatchAHandComputation() {
        // Two pairs, completions of 2 and 1 tokens over a vocabulary of 3; rows: chosen 0, 1, rejected 0, 1.
        double[][] p = {{0.7, 0.2, 0.1}, {0.1, 0.1, 0.8}, {0.3, 0.3, 0.4}, {0.5, 0.25, 0.25}, {0.2, 0.6, 0.2},
            {0.9, 0.05, 0.05}, {1.0 / 3, 1.0 / 3, 1.0 / 3}, {0.25, 0.5, 0.25}};
        double[] logps = new double[8 * 3];
        for (int r = 0; r < 8; r++) {
            for (int v = 0; v < 3; v++) {
                logps[r * 3 + v] = Math.log(p[r][v]);
            }
        }
        int[][] completions = {{0, 1}, {2}, {1}, {0, 0}};
        PreferenceMetrics m = new PreferenceMetrics(0.1);
        m.addTokens(Tensor.of(DType.FLOAT64, logps, 4, 2, 3), completions, 40);

        // Positions read: chosen (0,0) (0,1) (1,0); rejected (2,0) (3,0) (3,1), rows 0, 1, 2, 4, 6, 7.
        double entropy = 0;
        for (int r : new int[] {0, 1, 2, 4, 6, 7}) {
            for (double q : p[r]) {
                entropy -= q * Math.log(q);
            }
        }
        Map<String, Double> v = m.values();
        assertThat(v.get("entropy")).isCloseTo(entropy / 6, within(1e-12));
        // Chosen tokens 0, 1, 2 at rows 0, 1, 2: argmax 0 (right), 2 (wrong), 2 (right).
        assertThat(v.get("mean_token_accuracy")).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(v.get("num_tokens")).isEqualTo(40.0);

        PreferenceMetrics later = new PreferenceMetrics(0.1);
        later.addTokens(Tensor.of(DType.FLOAT64, logps, 4, 2, 3), completions, 75);
        m.add(later);
        assertThat(m.values().get("num_tokens")).isEqualTo(75.0);
        assertThat(m.values().get("entropy")).isCloseTo(entropy / 6, within(1e-12));
    }

    @Test
    void logitMeansAverageOverTheChosenAndTheRejectedTokens() {
        // Two pairs; completions of 2, 1 (chosen) and 1, 2 (rejected) tokens; width 2.
        double[] means = {1.0, 3.0, 5.0, 99.0, -2.0, 99.0, 4.0, 6.0};
        PreferenceMetrics m = new PreferenceMetrics(0.1);
        m.addLogits(Tensor.of(DType.FLOAT64, means, 4, 2), new int[][] {{0, 1}, {2}, {1}, {0, 0}});
        assertThat(m.values().get("logits/chosen")).isCloseTo((1.0 + 3.0 + 5.0) / 3, within(1e-12));
        assertThat(m.values().get("logits/rejected")).isCloseTo((-2.0 + 4.0 + 6.0) / 3, within(1e-12));
    }
}
