package betalab.bandit;

import betalab.api.random.Rng;
import betalab.api.task.PreferencePairs;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;

/**
 * A contextual bandit with a hidden reward: prompts x ∈ R^dx and, per prompt, K candidate
 * responses y ∈ R^dy, all standard normal; r*(x, y) = (W*·x)·y with W* standard normal scaled by
 * 1/√(dx·dy) so that rewards have unit variance. Prompts [0, N − eval) train, the rest evaluate.
 */
final class BanditEnvironment {
    private final BanditConfig config;
    private final double[] prompts;
    private final double[] candidates;
    private final double[] rewards;

    private BanditEnvironment(BanditConfig config, double[] prompts, double[] candidates, double[] rewards) {
        this.config = config;
        this.prompts = prompts;
        this.candidates = candidates;
        this.rewards = rewards;
    }

    /** Draws W*, the prompts and the candidates, in that order, from {@code rng}. */
    public static BanditEnvironment generate(BanditConfig config, Rng rng) {
        int n = config.prompts();
        int dx = config.promptDim();
        int dy = config.responseDim();
        int k = config.candidates();
        double[] w = rng.normal(dy * dx);
        double[] x = rng.normal(n * dx);
        double[] y = rng.normal(n * k * dy);
        double scale = 1.0 / Math.sqrt((double) dx * dy);
        double[] r = new double[n * k];
        double[] wx = new double[dy];
        for (int i = 0; i < n; i++) {
            for (int d = 0; d < dy; d++) {
                double s = 0;
                for (int j = 0; j < dx; j++) {
                    s += w[d * dx + j] * x[i * dx + j];
                }
                wx[d] = s * scale;
            }
            for (int c = 0; c < k; c++) {
                double s = 0;
                for (int d = 0; d < dy; d++) {
                    s += wx[d] * y[(i * k + c) * dy + d];
                }
                r[i * k + c] = s;
            }
        }
        return new BanditEnvironment(config, x, y, r);
    }

    public BanditConfig config() {
        return config;
    }

    public int trainPrompts() {
        return config.prompts() - config.evalPrompts();
    }

    /** Indices of the held-out prompts. */
    public int[] evalPromptIndices() {
        return range(trainPrompts(), config.prompts());
    }

    public int[] trainPromptIndices() {
        return range(0, trainPrompts());
    }

    /** r*(x_i, y_ik) for every candidate of prompt i. */
    public double reward(int prompt, int candidate) {
        return rewards[prompt * config.candidates() + candidate];
    }

    /** Every prompt's features, float32 [N, dx]: the policies' "prompt_features". */
    public Tensor promptTable() {
        return Tensor.of(DType.FLOAT32, prompts, config.prompts(), config.promptDim());
    }

    /** Every prompt's candidates, float32 [N, K, dy]: the policies' "candidate_embeddings". */
    public Tensor candidateTable() {
        return Tensor.of(DType.FLOAT32, candidates, config.prompts(), config.candidates(), config.responseDim());
    }

    /** Prompt i's features, rounded to float32 as the policies see them. */
    double[] features(int prompt) {
        double[] x = new double[config.promptDim()];
        for (int j = 0; j < x.length; j++) {
            x[j] = (float) prompts[prompt * x.length + j];
        }
        return x;
    }

    /**
     * Pairs for the given prompts: two distinct candidates drawn from the reference policy (the
     * second from its renormalised rest), the winner by Bradley–Terry on r* at the configured
     * temperature, then the label flipped with probability {@code flipRate}.
     *
     * @param referenceLogps log π_ref(y_k | x) for each of {@code promptIndices}, row-major [b, K]
     */
    public PreferencePairs drawPairs(int[] promptIndices, double[] referenceLogps, double flipRate, Rng rng) {
        int k = config.candidates();
        int total = promptIndices.length * config.pairsPerPrompt();
        int[] prompt = new int[total];
        int[] chosen = new int[total];
        int[] rejected = new int[total];
        boolean[] flipped = new boolean[total];
        double[] probs = new double[k];
        int pair = 0;
        for (int row = 0; row < promptIndices.length; row++) {
            int x = promptIndices[row];
            for (int rep = 0; rep < config.pairsPerPrompt(); rep++, pair++) {
                double[] u = rng.uniform(4, 0, 1);
                for (int c = 0; c < k; c++) {
                    probs[c] = Math.exp(referenceLogps[row * k + c]);
                }
                int first = sample(probs, -1, u[0]);
                int second = sample(probs, first, u[1]);
                double pFirstWins = sigmoid((reward(x, first) - reward(x, second)) / config.temperature());
                boolean firstWins = u[2] < pFirstWins;
                flipped[pair] = u[3] < flipRate;
                boolean firstLabelled = firstWins != flipped[pair];
                prompt[pair] = x;
                chosen[pair] = firstLabelled ? first : second;
                rejected[pair] = firstLabelled ? second : first;
            }
        }
        int dx = config.promptDim();
        int[][] promptTokens = new int[total][];
        int[][] chosenTokens = new int[total][];
        int[][] rejectedTokens = new int[total][];
        double[] features = new double[total * dx];
        for (int i = 0; i < total; i++) {
            promptTokens[i] = new int[] {prompt[i]};
            chosenTokens[i] = new int[] {chosen[i]};
            rejectedTokens[i] = new int[] {rejected[i]};
            System.arraycopy(features(prompt[i]), 0, features, i * dx, dx);
        }
        return new PreferencePairs(promptTokens, chosenTokens, rejectedTokens, flipped, features, dx);
    }

    /** Inverse-CDF draw from probs, leaving out {@code excluded} (renormalising the rest). */
    private static int sample(double[] probs, int excluded, double u) {
        double total = 0;
        for (int c = 0; c < probs.length; c++) {
            total += c == excluded ? 0 : probs[c];
        }
        double target = u * total;
        double cumulative = 0;
        int last = -1;
        for (int c = 0; c < probs.length; c++) {
            if (c == excluded) {
                continue;
            }
            cumulative += probs[c];
            last = c;
            if (target < cumulative) {
                return c;
            }
        }
        return last;
    }

    static double sigmoid(double v) {
        return v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
    }

    private static int[] range(int from, int to) {
        int[] out = new int[to - from];
        for (int i = 0; i < out.length; i++) {
            out[i] = from + i;
        }
        return out;
    }
}
