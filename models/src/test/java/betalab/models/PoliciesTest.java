package betalab.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.policy.Policy;
import betalab.api.random.JavaRng;
import betalab.api.random.Rng;
import betalab.api.random.TorchRng;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import betalab.api.testkit.GradientCheck;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bandit's policies as sequence policies: a prompt is one token (its row of "prompt_features"),
 * a completion one token (a candidate of that row of "candidate_embeddings"). Scores are checked
 * against the encoders and the softmax written out in plain doubles from the policies' state.
 */
class PoliciesTest {
    private static final int N = 3;
    private static final int DX = 3;
    private static final int K = 5;
    private static final int DY = 4;
    private static final double[] X = new JavaRng(1).normal(N * DX);
    private static final double[] Y = new JavaRng(2).normal(N * K * DY);
    private static final Registry REGISTRY = Registry.of(List.of(new PoliciesExtension()));

    /** Two prompts (tokens 2 and 0) and five completions, three of the first and two of the second. */
    private static final Policy.Sequences SHARED = new Policy.Sequences(new int[][] {{2}, {0}},
            new int[][] {{1}, {4}, {0}, {1}, {3}}, new int[] {0, 0, 1, 0, 1});

    private static Policy.Context context(long seed) {
        return new Policy.Context(K, Map.of(CandidatePolicy.PROMPT_FEATURES, Tensor.of(DType.FLOAT64, X, N, DX),
                CandidatePolicy.CANDIDATES, Tensor.of(DType.FLOAT64, Y, N, K, DY)), new TorchRng(seed), DType.FLOAT64);
    }

    /** The small MLP is written out below: one tanh layer of 6. */
    private static Policy policy(String name, long seed) {
        Map<String, Object> knobs = name.equals("mlp") ? Map.of("hidden", List.of(6)) : Map.of("init_scale", 2.0);
        return REGISTRY.create(Policy.POINT, name, knobs, context(seed));
    }

    /** e(x) of prompt {@code row}: W·x, or W1·tanh(W0·x + b0) + b1, from the policy's state. */
    private static double[] representation(String name, Map<String, double[]> state, int row) {
        if (name.equals("log_linear")) {
            return affine(state.get("weight"), null, slice(X, row * DX, DX), DY);
        }
        double[] hidden = affine(state.get("encoder.layer0.weight"), state.get("encoder.layer0.bias"),
                slice(X, row * DX, DX), 6);
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = Math.tanh(hidden[i]);
        }
        return affine(state.get("encoder.layer1.weight"), state.get("encoder.layer1.bias"), hidden, DY);
    }

    /** log softmax_k(e·y_k) over prompt {@code row}'s candidates. */
    private static double[] logProbs(double[] e, int row) {
        double[] scores = new double[K];
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < K; k++) {
            for (int d = 0; d < DY; d++) {
                scores[k] += e[d] * Y[(row * K + k) * DY + d];
            }
            max = Math.max(max, scores[k]);
        }
        double norm = 0;
        for (double s : scores) {
            norm += Math.exp(s - max);
        }
        for (int k = 0; k < K; k++) {
            scores[k] -= max + Math.log(norm);
        }
        return scores;
    }

    private static double[] affine(double[] w, double[] b, double[] x, int out) {
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            y[o] = b == null ? 0 : b[o];
            for (int j = 0; j < x.length; j++) {
                y[o] += w[o * x.length + j] * x[j];
            }
        }
        return y;
    }

    private static double[] slice(double[] v, int from, int length) {
        return java.util.Arrays.copyOfRange(v, from, from + length);
    }

    @ParameterizedTest
    @ValueSource(strings = {"log_linear", "mlp"})
    void scoresCompletionsThatShareAPromptAgainstTheSoftmaxWrittenOut(String name) {
        Policy policy = policy(name, 2);
        Policy.Scores s = policy.score(SHARED);
        int[] rows = {2, 0};
        assertThat(s.tokenLogps().shape()).containsExactly(5, 1);
        assertThat(s.sums().shape()).containsExactly(5);
        assertThat(s.lengths().toDoubleArray()).containsExactly(1, 1, 1, 1, 1);
        assertThat(s.representation().shape()).containsExactly(2, DY);
        assertThat(policy.representationDim()).isEqualTo(DY);
        assertThat(s.promptLengths().toDoubleArray()).containsExactly(1, 1);
        double[] tokens = s.tokenLogps().toDoubleArray();
        double[] sums = s.sums().toDoubleArray();
        double[] rep = s.representation().toDoubleArray();
        double[] promptLogps = s.promptLogps().toDoubleArray();
        for (int p = 0; p < 2; p++) {
            double[] e = representation(name, policy.state(), rows[p]);
            assertThat(slice(rep, p * DY, DY)).as("representation of prompt %d", p).containsExactly(e, within(1e-12));
            double[] logps = logProbs(e, rows[p]);
            double negEntropy = 0;
            for (double l : logps) {
                negEntropy += Math.exp(l) * l;
            }
            assertThat(promptLogps[p]).as("Σ π log π of prompt %d", p).isCloseTo(negEntropy, within(1e-12));
            for (int j = 0; j < 5; j++) {
                if (SHARED.promptOf()[j] == p) {
                    double expected = logps[SHARED.completions()[j][0]];
                    assertThat(tokens[j]).as("token log-prob of completion %d", j).isCloseTo(expected, within(1e-12));
                    assertThat(sums[j]).as("sum of completion %d", j).isEqualTo(tokens[j]);
                }
            }
        }
    }

    /** d/dθ of a weighted sum of every differentiable output, against central differences through the state. */
    @ParameterizedTest
    @ValueSource(strings = {"log_linear", "mlp"})
    void gradientsMatchFiniteDifferences(String name) {
        Policy policy = policy(name, 2);
        Map<String, double[]> initial = policy.state();
        List<Tensor> parameters = policy.parameters();
        objective(policy).backward();
        double[][] numeric = GradientCheck.finiteDifferences(values -> {
            policy.loadState(stateOf(policy, values));
            return objective(policy);
        }, parameters.stream().map(Tensor::detach).toArray(Tensor[]::new));
        policy.loadState(initial);
        for (int i = 0; i < parameters.size(); i++) {
            assertThat(parameters.get(i).grad().toDoubleArray()).as("%s parameter %d", name, i)
                    .containsExactly(numeric[i], within(1e-6));
        }
    }

    private static Tensor objective(Policy policy) {
        Policy.Scores s = policy.score(SHARED);
        Tensor w = Tensor.of(DType.FLOAT64, new double[] {1.0, -0.5, 2.0, 0.7, -1.3}, 5);
        Tensor v = Tensor.of(DType.FLOAT64, new JavaRng(9).normal(2 * DY), 2, DY);
        Tensor u = Tensor.of(DType.FLOAT64, new double[] {0.4, -0.9}, 2);
        return s.sums().mul(w).sum().add(s.representation().mul(v).sum()).add(s.promptLogps().mul(u).sum());
    }

    /** The policy's state with its parameters replaced by these values, in order. */
    private static Map<String, double[]> stateOf(Policy policy, Tensor[] values) {
        Map<String, double[]> state = new LinkedHashMap<>();
        int i = 0;
        for (String name : policy.state().keySet()) {
            state.put(name, values[i++].toDoubleArray());
        }
        return state;
    }

    @Test
    void aCopyThroughStateIsTheSamePolicy() {
        Policy a = policy("mlp", 2);
        Policy b = policy("mlp", 99);
        assertThat(b.score(SHARED).sums().toDoubleArray()).isNotEqualTo(a.score(SHARED).sums().toDoubleArray());
        b.loadState(a.state());
        assertThat(b.score(SHARED).sums().toDoubleArray()).containsExactly(a.score(SHARED).sums().toDoubleArray());
        assertThat(b.score(SHARED).representation().toDoubleArray())
                .containsExactly(a.score(SHARED).representation().toDoubleArray());
    }

    @ParameterizedTest
    @ValueSource(strings = {"log_linear", "mlp"})
    void theSameGeneratorStateGivesTheSameDraws(String name) {
        Policy policy = policy(name, 2);
        int[][] prompts = repeated(200);
        Rng rng = new JavaRng(7);
        Map<String, double[]> saved = rng.state();
        int[][] first = policy.sample(prompts, 1, rng);
        int[][] next = policy.sample(prompts, 1, rng);
        rng.loadState(saved);
        assertThat(policy.sample(prompts, 1, rng)).isDeepEqualTo(first);
        assertThat(policy.sample(prompts, 1, new JavaRng(7))).isDeepEqualTo(first);
        assertThat(next).as("the generator moved on").isNotEqualTo(first);
        for (int[] draw : first) {
            assertThat(draw).hasSize(1);
            assertThat(draw[0]).isBetween(0, K - 1);
        }
    }

    /**
     * 20 000 draws per prompt: each frequency within 5 standard errors (≤ 0.018) of softmax_k(e·y_k),
     * where the probabilities themselves differ by more than that.
     */
    @ParameterizedTest
    @ValueSource(strings = {"log_linear", "mlp"})
    void drawsFollowTheSoftmaxProbabilities(String name) {
        Policy policy = policy(name, 2);
        // Weights 3× their initial size make every prompt's softmax clearly not uniform.
        Map<String, double[]> sharper = new LinkedHashMap<>(policy.state());
        sharper.replaceAll((k, v) -> java.util.Arrays.stream(v).map(x -> 3 * x).toArray());
        policy.loadState(sharper);
        int draws = 20_000;
        int[][] prompts = repeated(draws);
        int[][] out = policy.sample(prompts, 1, new TorchRng(5));
        double[][] counts = new double[N][K];
        for (int i = 0; i < out.length; i++) {
            counts[prompts[i][0]][out[i][0]] += 1.0 / draws;
        }
        for (int row = 0; row < N; row++) {
            double[] logps = logProbs(representation(name, policy.state(), row), row);
            double spread = 0;
            for (int k = 0; k < K; k++) {
                double p = Math.exp(logps[k]);
                spread = Math.max(spread, Math.abs(p - 1.0 / K));
                double tolerance = 5 * Math.sqrt(p * (1 - p) / draws) + 1e-9;
                assertThat(counts[row][k]).as("%s: frequency of candidate %d of prompt %d", name, k, row)
                        .isCloseTo(p, within(tolerance));
            }
            assertThat(spread).as("softmax far enough from uniform to tell them apart").isGreaterThan(0.05);
        }
    }

    /** Every prompt token 0 … N−1, {@code times} times each, interleaved. */
    private static int[][] repeated(int times) {
        int[][] prompts = new int[N * times][];
        for (int i = 0; i < prompts.length; i++) {
            prompts[i] = new int[] {i % N};
        }
        return prompts;
    }

    @Test
    void refusesTokensOutsideTheTablesAndNamesAMissingTable() {
        Policy policy = policy("log_linear", 2);
        assertThatThrownBy(() -> policy.score(new Policy.Sequences(new int[][] {{N}}, new int[][] {{0}},
                new int[] {0}))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prompt 0");
        assertThatThrownBy(() -> policy.score(new Policy.Sequences(new int[][] {{0}}, new int[][] {{1}, {K}},
                new int[] {0, 0}))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("completion 1");
        Policy.Context noCandidates = new Policy.Context(K, Map.of(CandidatePolicy.PROMPT_FEATURES,
                Tensor.of(DType.FLOAT64, X, N, DX)), new TorchRng(1), DType.FLOAT64);
        assertThatThrownBy(() -> REGISTRY.create(Policy.POINT, "mlp", Map.of(), noCandidates))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("policy 'mlp'")
                .hasMessageContaining("candidate_embeddings");
    }

    @Test
    void aNewTransformerRefusesATaskThatTakesThePolicysOwnVocabulary() {
        Policy.Context none = new Policy.Context(0, Map.of(), new TorchRng(1), DType.FLOAT32);
        assertThatThrownBy(() -> REGISTRY.create(Policy.POINT, "transformer", Map.of(), none))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("set 'from' to a model directory");
    }

    @Test
    void aModelDirectoryWhoseTokenizerOutrunsItsVocabularyIsRefused(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path source = java.nio.file.Path.of("src/test/resources/hf/tiny-llama");
        for (String file : List.of("config.json", "model.safetensors")) {
            java.nio.file.Files.copy(source.resolve(file), dir.resolve(file));
        }
        // A byte-level BPE has at least its 256 bytes; this model's vocab_size is 96.
        betalab.models.hf.ByteLevelBpeTrainer.train(List.of("a tokenizer that is not the model's"), 300, List.of())
                .writeTokenizerJson(dir.resolve("tokenizer.json"));
        Policy.Context own = new Policy.Context(0, Map.of(), new TorchRng(1), DType.FLOAT32);
        assertThatThrownBy(() -> REGISTRY.create(Policy.POINT, "transformer", Map.of("from", dir.toString()), own))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tokenizer.json: gives ids up to")
                .hasMessageContaining("vocab_size 96");
    }
}
