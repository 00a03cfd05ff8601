package betalab.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * ε-DPO against its authors' rule, transcribed apart in torch (reference/pytorch/epsilon_dpo_trace.py,
 * golden/epsilon-dpo-trace.json): four steps of 8 pairs, completions of 1–3 positions over a
 * vocabulary of 5, ε = 0.2, from the raw logits of policy and reference. betalab sees what a policy
 * gives it — the log-softmax of those logits and the summed log-probabilities of the completions —
 * and must find the same s_i (+1, −1 and 0 all occur), pair β and global β at every step.
 */
class EpsilonDpoTraceTest {
    private static final double TOLERANCE = 1e-12;

    private static JsonNode golden() throws IOException {
        try (InputStream in = EpsilonDpoTraceTest.class.getResourceAsStream("/golden/epsilon-dpo-trace.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    private static double[] doubles(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToDouble(JsonNode::asDouble).toArray();
    }

    /** The batch a policy would give: summed token log-probs from the log-softmax, and the distributions. */
    static PreferenceBatch batch(JsonNode step, int n, int width, int vocab) {
        Tensor policy = Tensor.of(DType.FLOAT64, doubles(step.get("logits")), 2 * n, width, vocab).logSoftmax(2);
        Tensor reference = Tensor.of(DType.FLOAT64, doubles(step.get("ref_logits")), 2 * n, width, vocab)
                .logSoftmax(2);
        double[] labels = doubles(step.get("labels"));
        double[] lengths = doubles(step.get("lengths"));
        double[] policySums = new double[2 * n];
        double[] refSums = new double[2 * n];
        double[] p = policy.toDoubleArray();
        double[] r = reference.toDoubleArray();
        for (int j = 0; j < 2 * n; j++) {
            for (int t = 0; t < lengths[j]; t++) {
                int at = (j * width + t) * vocab + (int) labels[j * width + t];
                policySums[j] += p[at];
                refSums[j] += r[at];
            }
        }
        assertThat(policySums).as("summed log-probs as torch's").containsExactly(doubles(step.get("logps")),
                within(1e-12));
        return PreferenceBatch.of(half(policySums, 0, n), half(policySums, n, n), half(refSums, 0, n),
                        half(refSums, n, n))
                .lengths(half(lengths, 0, n), half(lengths, n, n))
                .distributions(new PreferenceBatch.Distributions(policy, reference))
                .build();
    }

    private static Tensor half(double[] values, int from, int n) {
        double[] out = new double[n];
        System.arraycopy(values, from, out, 0, n);
        return Tensor.of(DType.FLOAT64, out, n);
    }

    @Test
    void everyStepMatchesTheAuthorsRule() throws IOException {
        JsonNode g = golden();
        int n = g.get("pairs").asInt();
        EpsilonDpo scheme = (EpsilonDpo) Pairs.create("epsilon_dpo",
                Map.of("init", g.get("beta0").asDouble(), "epsilon", g.get("epsilon").asDouble()), Pairs.context(1));
        int step = 0;
        for (JsonNode s : g.get("steps")) {
            step++;
            PreferenceBatch batch = batch(s, n, g.get("width").asInt(), g.get("vocab").asInt());
            assertThat(scheme.steps(batch)).as("s at step %d", step)
                    .containsExactly(StreamSupport.stream(s.get("steps").spliterator(), false)
                            .mapToInt(JsonNode::asInt).toArray());
            double before = scheme.value();
            assertThat(scheme.beta(batch).toDoubleArray()).as("evaluation's β at step %d", step)
                    .containsExactly(doubles(s.get("pair_beta")), within(TOLERANCE));
            assertThat(scheme.value()).as("evaluation changes nothing").isEqualTo(before);
            BetaEstimator.Estimate e = scheme.train(batch);
            assertThat(e.beta().toDoubleArray()).as("pair β at step %d", step)
                    .containsExactly(doubles(s.get("pair_beta")), within(TOLERANCE));
            assertThat(e.beta().requiresGrad()).isFalse();
            assertThat(scheme.value()).as("global β after step %d", step)
                    .isCloseTo(s.get("beta_after").asDouble(), within(TOLERANCE));
        }
    }

    /**
     * DPO's loss with ε-DPO's β, by finite differences in the policy's logits, which reach the loss
     * through the completions' log-probabilities (β_i is a constant to it, as in the source).
     */
    @Test
    void theLossGradientReachesThePolicyLogitsAsFiniteDifferencesSay() throws IOException {
        JsonNode g = golden();
        int n = g.get("pairs").asInt();
        JsonNode step = g.get("steps").get(0);
        EpsilonDpo scheme = (EpsilonDpo) Pairs.create("epsilon_dpo", Map.of("epsilon", 0.2), Pairs.context(1));
        Tensor logits = Tensor.of(DType.FLOAT64, doubles(step.get("logits")), 2 * n, 3, 5);
        Tensor reference = Tensor.of(DType.FLOAT64, doubles(step.get("ref_logits")), 2 * n, 3, 5).logSoftmax(2);
        double[] labels = doubles(step.get("labels"));
        double[] lengths = doubles(step.get("lengths"));
        int[] picked = new int[2 * n * 3];
        double[] mask = new double[2 * n * 3];
        for (int j = 0; j < 2 * n; j++) {
            for (int t = 0; t < 3; t++) {
                picked[j * 3 + t] = (j * 3 + t) * 5 + (int) labels[j * 3 + t];
                mask[j * 3 + t] = t < lengths[j] ? 1 : 0;
            }
        }
        double[] refSums = reference.flatten().gather(picked).mul(Tensor.of(DType.FLOAT64, mask, 2 * n * 3))
                .reshape(2 * n, 3).sum(1).toDoubleArray();
        Tensor refChosen = half(refSums, 0, n);
        Tensor refRejected = half(refSums, n, n);
        betalab.api.testkit.GradientCheck.check(in -> {
            Tensor policy = in[0].logSoftmax(2);
            Tensor sums = policy.flatten().gather(picked).mul(Tensor.of(DType.FLOAT64, mask, 2 * n * 3))
                    .reshape(2 * n, 3).sum(1);
            PreferenceBatch batch = PreferenceBatch.of(PreferenceBatch.Distributions.chosen(sums),
                            PreferenceBatch.Distributions.rejected(sums), refChosen, refRejected)
                    .lengths(half(lengths, 0, n), half(lengths, n, n))
                    .distributions(new PreferenceBatch.Distributions(policy, reference))
                    .build();
            return scheme.beta(batch).mul(batch.margin()).sigmoid().log().neg().mean();
        }, logits);
    }

    @Test
    void theGlobalBetaIsTheCheckpointedStateAndResumesExactly() throws IOException {
        JsonNode g = golden();
        int n = g.get("pairs").asInt();
        Map<String, Double> knobs = Map.of("init", 0.1, "epsilon", 0.2);
        EpsilonDpo first = (EpsilonDpo) Pairs.create("epsilon_dpo", knobs, Pairs.context(1));
        EpsilonDpo resumed = (EpsilonDpo) Pairs.create("epsilon_dpo", knobs, Pairs.context(1));
        JsonNode steps = g.get("steps");
        first.train(batch(steps.get(0), n, 3, 5));
        resumed.loadState(first.state());
        PreferenceBatch next = batch(steps.get(1), n, 3, 5);
        assertThat(resumed.train(next).beta().toDoubleArray()).containsExactly(first.train(next).beta().toDoubleArray());
        assertThat(resumed.value()).isEqualTo(first.value());
        assertThatThrownBy(() -> resumed.loadState(Map.of("beta", new double[] {-1})))
                .hasMessageContaining("'beta' must be a positive finite number");
    }

    @Test
    void aPolicyWithoutDistributionsIsRefusedInOneLine() {
        EpsilonDpo scheme = (EpsilonDpo) Pairs.create("epsilon_dpo", Map.of(), Pairs.context(1));
        assertThatThrownBy(() -> scheme.train(Pairs.margins(0.5, -1.0)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("epsilon_dpo needs the policy's whole next-token distributions");
    }
}
