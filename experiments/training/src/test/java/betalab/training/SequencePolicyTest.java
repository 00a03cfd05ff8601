package betalab.training;

import static betalab.training.Runs.json;
import static betalab.training.Runs.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.policy.Policy;
import betalab.api.random.TorchRng;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A causal-LM-shaped policy, a task and a token-level loss from a test plugin, trained by name
 * through the registry like the built-in ones: the interface needs no special case for them.
 */
class SequencePolicyTest {
    private static final Registry REGISTRY = Runs.with(new TinyLmExtension());

    static Map<String, Object> config(Map<String, Object> beta, int steps) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("seed", 11);
        c.put("steps", steps);
        c.put("batch_size", 8);
        c.put("eval_every", 5);
        c.put("task", Map.of("name", "tiny_lm"));
        c.put("policy", Map.of("name", "bigram"));
        c.put("loss", Map.of("name", "token_sigmoid"));
        c.put("beta", beta);
        c.put("optimizer", Map.of("name", "adam", "lr", 0.1));
        return c;
    }

    @Test
    void theBigramScoresTokensAsAHandComputationDoes() {
        Policy policy = REGISTRY.create(Policy.POINT, "bigram", Map.of("init_scale", 1.0),
                new Policy.Context(5, Map.of(), new TorchRng(2), DType.FLOAT64));
        double[] w = policy.namedParameters().get("weight").toDoubleArray();
        Policy.Scores s = policy.score(new Policy.Sequences(new int[][] {{4, 2}, {0}},
                new int[][] {{1, 3, 3}, {0}, {2, 4}}, new int[] {0, 0, 1}));

        // Hand computation: log softmax of W's row of the previous token, the prompt's last to start.
        double[] expected = {
            logp(w, 2, 1), logp(w, 1, 3), logp(w, 3, 3),
            logp(w, 2, 0), 0, 0,
            logp(w, 0, 2), logp(w, 2, 4), 0};
        assertThat(s.tokenLogps().shape()).containsExactly(3, 3);
        assertThat(s.tokenLogps().toDoubleArray()).containsExactly(expected, within(1e-12));
        assertThat(s.sums().toDoubleArray()).containsExactly(new double[] {expected[0] + expected[1] + expected[2],
            expected[3], expected[6] + expected[7]}, within(1e-12));
        assertThat(s.lengths().toDoubleArray()).containsExactly(3, 1, 2);
        assertThat(s.representation().shape()).containsExactly(2, 5);
        assertThat(s.representation().toDoubleArray()).startsWith(w[10], w[11], w[12], w[13], w[14]);

        // Gradients reach W through the per-token log-probs: d/dW[2][1] of log π(1 | 2) = 1 − π(1 | 2).
        s.tokenLogps().gather(0).sum().backward();
        double[] g = policy.namedParameters().get("weight").grad().toDoubleArray();
        assertThat(g[2 * 5 + 1]).isCloseTo(1 - Math.exp(logp(w, 2, 1)), within(1e-12));
        assertThat(g[2 * 5 + 3]).isCloseTo(-Math.exp(logp(w, 2, 3)), within(1e-12));
        assertThat(g[0]).isZero();
    }

    private static double logp(double[] w, int previous, int next) {
        double z = 0;
        for (int v = 0; v < 5; v++) {
            z += Math.exp(w[previous * 5 + v]);
        }
        return w[previous * 5 + next] - Math.log(z);
    }

    @Test
    void aTokenLevelPluginTrainsByNameAndItsLossFalls(@TempDir Path dir) {
        TinyLmExtension.checkedRows = 0;
        TinyLmExtension.widest = 0;
        Config config = Runs.resolve(config(Map.of("name", "fixed", "beta", 1.0), 30), REGISTRY);
        RunDirectory.Summary summary = PreferenceTraining.train(REGISTRY, config, dir, Integer.MAX_VALUE, r -> { });

        assertThat(summary.status()).isEqualTo("completed");
        List<JsonNode> rows = rows(dir);
        assertThat(rows).hasSize(31);
        // The loss read per-token log-probs of multi-token completions on every training step.
        assertThat(TinyLmExtension.checkedRows).isGreaterThanOrEqualTo(30 * 8);
        assertThat(TinyLmExtension.widest).isEqualTo(3);
        double first = rows.get(1).get("loss").asDouble();
        double last = rows.get(30).get("loss").asDouble();
        assertThat(first).isCloseTo(Math.log(2), within(0.2));
        assertThat(last).isLessThan(first / 2);
        assertThat(rows.get(30).get("rewards/accuracies").asDouble()).isGreaterThan(0.8);
        assertThat(rows.get(30).get("eval/good_first").asDouble())
                .isGreaterThan(rows.get(0).get("eval/good_first").asDouble() + 0.1);
        // The plugin's knob defaults, typed by no one, are in the record.
        JsonNode recorded = json(dir.resolve(RunDirectory.CONFIG));
        assertThat(recorded.get("policy").get("init_scale").asDouble()).isEqualTo(0.25);
        assertThat(recorded.get("task").get("good").asInt()).isEqualTo(1);
        assertThat(recorded.get("task").get("pairs").asInt()).isEqualTo(24);
    }

    /** A β(x; πθ) network on the language model's representation, resumed mid-epoch. */
    @Test
    void aResumedRunKeepsItsBestEvaluationAndRows(@TempDir Path dir) {
        Config config = Runs.resolve(config(Map.of("name", "policy_mlp", "hidden", List.of(3)), 20), REGISTRY);
        PreferenceTraining.train(REGISTRY, config, dir.resolve("straight"), Integer.MAX_VALUE, r -> { });
        // 24 pairs in batches of 8: step 13 is inside epoch 5, after the checkpoint at step 10.
        RunDirectory.Summary stopped = PreferenceTraining.train(REGISTRY, config, dir.resolve("resumed"), 13, r -> { });
        assertThat(stopped.status()).isEqualTo("interrupted");
        PreferenceTraining.resume(REGISTRY, dir.resolve("resumed"), r -> { });

        assertThat(rows(dir.resolve("resumed"))).isEqualTo(rows(dir.resolve("straight")));
        JsonNode summary = json(dir.resolve("resumed").resolve(RunDirectory.SUMMARY));
        // The lowest KL is the step-0 evaluation, before the checkpoint.
        assertThat(summary.get("best_eval").get("step").asInt()).isZero();
        assertThat(summary).isEqualTo(json(dir.resolve("straight").resolve(RunDirectory.SUMMARY)));
    }

    /**
     * The built-in transformer on the same task, trained by DPO and by ε-DPO with WPO through the
     * one loop: the loss falls and the good first token becomes likelier, from the model's own
     * next-token distributions where the method reads them.
     */
    @Test
    void theTransformerTrainsByNameWithDpoAndWithEpsilonDpoAndWpo(@TempDir Path dir) {
        for (String method : List.of("dpo", "epsilon_dpo")) {
            Map<String, Object> c = config(method.equals("dpo") ? Map.of("name", "fixed", "beta", 1.0)
                    : Map.of("name", "epsilon_dpo", "init", 1.0, "epsilon", 0.05), 30);
            c.put("policy", Map.of("name", "transformer", "hidden_size", 16, "intermediate_size", 32,
                    "num_hidden_layers", 1, "num_attention_heads", 2, "num_key_value_heads", 1,
                    "max_position_embeddings", 16, "initializer_range", 0.2));
            c.put("loss", Map.of("name", "sigmoid"));
            c.put("optimizer", Map.of("name", "adamw", "lr", 0.05));
            if (method.equals("epsilon_dpo")) {
                c.put("use_weighting", true);
            }
            Path run = dir.resolve(method);
            RunDirectory.Summary summary = PreferenceTraining.train(REGISTRY, Runs.resolve(c, REGISTRY), run,
                    Integer.MAX_VALUE, r -> { });
            assertThat(summary.status()).as(method).isEqualTo("completed");
            List<JsonNode> rows = rows(run);
            assertThat(rows.get(30).get("loss").asDouble()).as(method).isLessThan(rows.get(1).get("loss").asDouble());
            assertThat(rows.get(30).get("eval/good_first").asDouble()).as(method)
                    .isGreaterThan(rows.get(0).get("eval/good_first").asDouble());
        }
    }
}
