package betalab.training;

import betalab.api.policy.Policy;
import betalab.api.random.Rng;
import betalab.api.task.PreferencePairs;
import betalab.api.task.Task;
import betalab.api.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A task of token prompts and multi-token completions over a vocabulary of 5: the true reward of a
 * completion counts its {@code good} tokens, less a little per token, so completions of different
 * lengths compete. Prompts have one or two tokens. The evaluator is exact on the first completion
 * token: the probability of the good token, and the KL from the reference, which is its headline,
 * lower being better (so the best evaluation is the first one, which a resumed run must remember).
 */
final class TinyLmTask implements Task {
    static final int VOCABULARY = 5;
    /** Candidate completions, 1 to 3 tokens; their rewards (with good = 1) are all distinct. */
    private static final int[][] COMPLETIONS = {{1}, {1, 2}, {3}, {3, 4, 0}, {2, 1, 1}, {4, 3}};

    private final int good;
    private final int pairs;

    TinyLmTask(int good, int pairs) {
        this.good = good;
        this.pairs = pairs;
    }

    double reward(int[] completion) {
        double r = 0;
        for (int token : completion) {
            r += (token == good ? 1 : 0) - 0.1;
        }
        return r;
    }

    @Override
    public int vocabularySize() {
        return VOCABULARY;
    }

    @Override
    public int featureDim() {
        return 0;
    }

    @Override
    public Prepared prepare(Policy reference, Rng rng) {
        int[][] prompts = new int[pairs][];
        int[][] chosen = new int[pairs][];
        int[][] rejected = new int[pairs][];
        double[] u = rng.uniform(2 * pairs, 0, 1);
        for (int i = 0; i < pairs; i++) {
            prompts[i] = i % 2 == 0 ? new int[] {i % VOCABULARY} : new int[] {(i + 2) % VOCABULARY, i % VOCABULARY};
            int a = (int) (u[2 * i] * COMPLETIONS.length);
            int b = (a + 1 + (int) (u[2 * i + 1] * (COMPLETIONS.length - 1))) % COMPLETIONS.length;
            boolean aWins = reward(COMPLETIONS[a]) > reward(COMPLETIONS[b]);
            chosen[i] = COMPLETIONS[aWins ? a : b];
            rejected[i] = COMPLETIONS[aWins ? b : a];
        }
        PreferencePairs train = new PreferencePairs(prompts, chosen, rejected, new boolean[pairs], null, 0);
        return new Prepared(train, new Evaluator() {
            @Override
            public Map<String, Double> evaluate(Policy policy, Policy ref) {
                double[] p = firstTokens(policy);
                double[] q = firstTokens(ref);
                double goodProbability = 0;
                double kl = 0;
                for (int x = 0; x < VOCABULARY; x++) {
                    goodProbability += Math.exp(p[x * VOCABULARY + good]) / VOCABULARY;
                    for (int y = 0; y < VOCABULARY; y++) {
                        kl += Math.exp(p[x * VOCABULARY + y]) * (p[x * VOCABULARY + y] - q[x * VOCABULARY + y])
                                / VOCABULARY;
                    }
                }
                Map<String, Double> m = new LinkedHashMap<>();
                m.put("eval/good_first", goodProbability);
                m.put("eval/kl_ref", kl);
                return m;
            }

            @Override
            public String headline() {
                return "eval/kl_ref";
            }

            @Override
            public boolean higherIsBetter() {
                return false;
            }
        });
    }

    /** log π(y | x) of every one-token completion y of every one-token prompt x, row-major [V, V]. */
    private static double[] firstTokens(Policy policy) {
        int[][] prompts = new int[VOCABULARY][];
        int[][] completions = new int[VOCABULARY * VOCABULARY][];
        int[] promptOf = new int[completions.length];
        for (int x = 0; x < VOCABULARY; x++) {
            prompts[x] = new int[] {x};
            for (int y = 0; y < VOCABULARY; y++) {
                completions[x * VOCABULARY + y] = new int[] {y};
                promptOf[x * VOCABULARY + y] = x;
            }
        }
        try (var noGrad = Tensor.noGrad()) {
            return policy.score(new Policy.Sequences(prompts, completions, promptOf)).sums().toDoubleArray();
        }
    }
}
