package betalab.models;

import static betalab.models.Pairs.margins;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.BetaEstimator;
import betalab.api.random.Rng;
import betalab.api.tensor.DType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * β-DPO with its default knobs against the authors' update rule, transcribed apart in plain Python
 * (reference/pytorch/beta_dpo_trace.py, golden/beta-dpo-trace.json): six steps of 64, 64, 40, 10,
 * 64, 32 pairs, micro-batches of 32. The draw of kept pairs uses the script's uniforms, replayed.
 */
class BetaDpoTraceTest {
    private static final double TOLERANCE = 1e-12;

    private static JsonNode golden() throws IOException {
        try (InputStream in = BetaDpoTraceTest.class.getResourceAsStream("/golden/beta-dpo-trace.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    /** A generator that hands out the script's uniforms in its order, one micro-batch at a time. */
    private static final class Replay implements Rng {
        private final Deque<double[]> draws = new ArrayDeque<>();

        Replay(JsonNode steps) {
            for (JsonNode step : steps) {
                for (JsonNode micro : step.get("micro_batches")) {
                    draws.add(doubles(micro.get("uniforms")));
                }
            }
        }

        @Override
        public double[] uniform(int n, double from, double to) {
            double[] u = draws.remove();
            assertThat(u).as("one uniform per pair of the micro-batch").hasSize(n);
            assertThat(from == 0 && to == 1).isTrue();
            return u;
        }

        @Override
        public double[] normal(int n) {
            throw new AssertionError("β-DPO draws no normal");
        }

        @Override
        public Map<String, double[]> state() {
            return Map.of();
        }

        @Override
        public void loadState(Map<String, double[]> state) {
        }
    }

    private static double[] doubles(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToDouble(JsonNode::asDouble).toArray();
    }

    private static BetaDpo defaults(JsonNode steps) {
        return (BetaDpo) Pairs.create("beta_dpo_batch", Map.of(),
                new BetaEstimator.Context(2, 3, new Replay(steps), DType.FLOAT64));
    }

    @Test
    void theDefaultsAreThePublishedRun() throws IOException {
        JsonNode config = golden().get("config");
        Map<String, Object> knobs = Pairs.REGISTRY.resolve(BetaEstimator.POINT, "beta_dpo_batch", Map.of()).asMap();
        assertThat(knobs).containsEntry("beta0", config.get("beta0").asDouble())
                .containsEntry("alpha", config.get("alpha").asDouble())
                .containsEntry("momentum", config.get("momentum").asDouble())
                .containsEntry("mode_weight", config.get("mode_weight").asDouble())
                .containsEntry("micro_batch", config.get("micro_batch").asInt())
                .containsEntry("filter", true).containsEntry("gap", "margin").containsEntry("start", "zero");
    }

    @Test
    void betaAndKeptPairsOfEachStepFollowTheAuthorsRule() throws IOException {
        JsonNode steps = golden().get("steps");
        BetaDpo scheme = defaults(steps);
        assertThat(scheme.runningMean()).isZero();
        assertThat(scheme.runningStd()).isZero();
        int index = 0;
        for (JsonNode step : steps) {
            BetaEstimator.Estimate e = scheme.train(margins(doubles(step.get("margins"))));
            double[] beta = e.beta().toDoubleArray();
            double[] weights = e.weights().toDoubleArray();
            JsonNode last = null;
            for (JsonNode micro : step.get("micro_batches")) {
                int from = micro.get("start").asInt();
                int to = Math.min(beta.length, from + 32);
                double[] kept = new double[to - from];
                micro.get("kept").forEach(i -> kept[i.asInt() - from] = 1);
                for (int i = from; i < to; i++) {
                    assertThat(beta[i]).as("step %d pair %d: β", index, i)
                            .isCloseTo(micro.get("beta").asDouble(), within(TOLERANCE));
                    assertThat(weights[i] > 0).as("step %d pair %d: kept", index, i).isEqualTo(kept[i - from] == 1);
                }
                last = micro;
            }
            assertThat(scheme.runningMean()).as("step %d: M₀", index)
                    .isCloseTo(last.get("gap_mean").asDouble(), within(TOLERANCE));
            assertThat(scheme.runningStd()).as("step %d: σ", index)
                    .isCloseTo(last.get("gap_std").asDouble(), within(TOLERANCE));
            index++;
        }
    }

    /** Fed one micro-batch at a time, M₀ and σ match the script's after every micro-batch. */
    @Test
    void runningStatisticsAfterEachMicroBatch() throws IOException {
        JsonNode steps = golden().get("steps");
        BetaDpo scheme = defaults(steps);
        for (JsonNode step : steps) {
            double[] h = doubles(step.get("margins"));
            for (JsonNode micro : step.get("micro_batches")) {
                int from = micro.get("start").asInt();
                double[] part = java.util.Arrays.copyOfRange(h, from, Math.min(h.length, from + 32));
                double beta = scheme.train(margins(part)).beta().toDoubleArray()[0];
                assertThat(scheme.runningMean()).isCloseTo(micro.get("gap_mean").asDouble(), within(TOLERANCE));
                assertThat(scheme.runningStd()).isCloseTo(micro.get("gap_std").asDouble(), within(TOLERANCE));
                assertThat(beta).isCloseTo(micro.get("beta").asDouble(), within(TOLERANCE));
            }
        }
    }

    /** A step of 40 pairs keeps 25 of the first 32 and 6 of the last 8: each micro-batch's mean counts alike. */
    @Test
    void keptPairsWeighOneOverTheirMicroBatchsCount() throws IOException {
        JsonNode steps = golden().get("steps");
        BetaDpo scheme = defaults(steps);
        scheme.train(margins(doubles(steps.get(0).get("margins"))));
        scheme.train(margins(doubles(steps.get(1).get("margins"))));
        double[] w = scheme.train(margins(doubles(steps.get(2).get("margins")))).weights().toDoubleArray();
        for (int i = 0; i < w.length; i++) {
            assertThat(w[i]).isIn(0.0, i < 32 ? 1.0 / 25 : 1.0 / 6);
        }
    }
}
