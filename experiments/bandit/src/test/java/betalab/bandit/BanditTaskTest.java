package betalab.bandit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.policy.Policy;
import betalab.api.random.Rng;
import betalab.api.random.TorchRng;
import betalab.api.registry.Registry;
import betalab.api.task.PreferencePairs;
import betalab.api.task.Task;
import betalab.api.tensor.DType;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The bandit as a task, built by name with a real policy: its tables, its pairs and its evaluator. */
class BanditTaskTest {
    private static final Registry REGISTRY = Registry.discover();
    private static final Map<String, Object> KNOBS = Map.of("prompts", 400, "prompt_dim", 3, "response_dim", 4,
            "candidates", 5, "label_noise", 0.25, "eval_fraction", 0.25, "pairs_per_prompt", 2);

    private static BanditTask task() {
        return (BanditTask) REGISTRY.create(Task.POINT, "bandit", KNOBS,
                new Task.Context(new TorchRng(7), DType.FLOAT32));
    }

    private static Policy policy(Task task, long seed) {
        return REGISTRY.create(Policy.POINT, "log_linear", Map.of("init_scale", 3.0),
                new Policy.Context(task.vocabularySize(), task.tables(), new TorchRng(seed), DType.FLOAT32));
    }

    @Test
    void candidateLogProbsAreTheLogLinearSoftmaxWrittenByHand() {
        BanditTask task = task();
        BanditEnvironment env = task.environment();
        Policy policy = policy(task, 1);
        double[] w = policy.namedParameters().get("weight").toDoubleArray(); // [dy, dx]
        double[] y = env.candidateTable().toDoubleArray();
        int[] prompts = {0, 17, 399};
        double[] logps = BanditTask.logProbs(policy, env, prompts);

        for (int row = 0; row < prompts.length; row++) {
            double[] x = env.features(prompts[row]);
            double[] scores = new double[5];
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < 5; k++) {
                for (int d = 0; d < 4; d++) {
                    double wx = 0;
                    for (int j = 0; j < 3; j++) {
                        wx += w[d * 3 + j] * x[j];
                    }
                    scores[k] += wx * y[(prompts[row] * 5 + k) * 4 + d];
                }
                max = Math.max(max, scores[k]);
            }
            double z = 0;
            for (double s : scores) {
                z += Math.exp(s - max);
            }
            for (int k = 0; k < 5; k++) {
                assertThat(logps[row * 5 + k]).isCloseTo(scores[k] - max - Math.log(z), within(1e-5));
            }
        }
    }

    @Test
    void pairsComeFromTheTrainingPromptsWithTheirFeaturesAndTheConfiguredNoise() {
        BanditTask task = task();
        BanditEnvironment env = task.environment();
        assertThat(task.vocabularySize()).isEqualTo(5);
        assertThat(task.featureDim()).isEqualTo(3);
        assertThat(task.tables().get("prompt_features").shape()).containsExactly(400, 3);
        assertThat(task.tables().get("candidate_embeddings").shape()).containsExactly(400, 5, 4);

        Task.Prepared prepared = task.prepare(policy(task, 1), new TorchRng(8));
        PreferencePairs pairs = prepared.train();
        assertThat(pairs.size()).isEqualTo(300 * 2);
        int flipped = 0;
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < pairs.size(); i++) {
            int x = pairs.prompts()[i][0];
            seen.add(x);
            assertThat(x).isBetween(0, 299);
            assertThat(pairs.chosen()[i][0]).isNotEqualTo(pairs.rejected()[i][0]);
            for (int j = 0; j < 3; j++) {
                assertThat(pairs.features()[i * 3 + j]).isEqualTo(env.features(x)[j]);
            }
            flipped += pairs.flipped()[i] ? 1 : 0;
        }
        assertThat(seen).hasSize(300);
        // 600 draws at ε = 0.25: the count lies within 4.5 standard deviations (σ ≈ 10.6) of 150.
        assertThat(flipped).isBetween(102, 198);
    }

    @Test
    void theEvaluatorIsTheExactEvaluationOfTheHeldOutPromptsWithTheirCleanPairs() {
        BanditTask task = task();
        Policy reference = policy(task, 1);
        Policy other = policy(task, 2);
        Rng rng = new TorchRng(8);
        Task.Evaluator evaluator = task.prepare(reference, rng).evaluator();

        Map<String, Double> same = evaluator.evaluate(reference, reference);
        assertThat(same.get("eval/kl_ref")).isZero();
        // Float32 probabilities sum to 1 only to about 1e-7.
        assertThat(same.get("eval/win_rate_vs_ref")).isCloseTo(0.5, within(1e-6));
        assertThat(same.get("eval/pref_accuracy")).isEqualTo(0.5);
        assertThat(evaluator.headline()).isEqualTo("eval/true_reward");
        assertThat(evaluator.higherIsBetter()).isTrue();

        // The same numbers as ExactEvaluation on the held-out prompts and the pairs drawn after the training ones.
        BanditEnvironment env = task.environment();
        int[] held = env.evalPromptIndices();
        assertThat(held).hasSize(100).startsWith(300);
        TorchRng replay = new TorchRng(8);
        env.drawPairs(env.trainPromptIndices(), BanditTask.logProbs(reference, env, env.trainPromptIndices()), 0.25,
                replay);
        PreferencePairs heldOut = env.drawPairs(held, BanditTask.logProbs(reference, env, held), 0.0, replay);
        assertThat(heldOut.flipped()).containsOnly(false);
        assertThat(evaluator.evaluate(other, reference)).isEqualTo(ExactEvaluation.evaluate(env, held,
                BanditTask.logProbs(other, env, held), BanditTask.logProbs(reference, env, held), heldOut));
    }

    @Test
    void anEvalFractionThatLeavesASideEmptyIsRefused() {
        assertThatThrownBy(() -> REGISTRY.create(Task.POINT, "bandit", Map.of("prompts", 4, "eval_fraction", 0.1),
                new Task.Context(new TorchRng(1), DType.FLOAT32)))
                .hasMessageContaining("task 'bandit': knob 'eval_fraction' must leave at least one prompt on each "
                        + "side");
        assertThat(REGISTRY.resolve(Task.POINT, "bandit", Map.of()).asMap()).containsEntry("prompts", 1024)
                .containsEntry("candidates", 8).containsEntry("label_noise", 0.0);
    }
}
