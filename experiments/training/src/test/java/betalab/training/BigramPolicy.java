package betalab.training;

import betalab.api.nn.Module;
import betalab.api.policy.Policy;
import betalab.api.random.Rng;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;

/**
 * A causal "language model" small enough to check by hand: a bigram table W [V, V] of logits,
 * log π(y_t | y_&lt;t, x) = logSoftmax(W[previous token])[y_t], the previous token of y_0 being the
 * prompt's last. Completions have several tokens and differ in length; per-token log-probs are 0
 * past each length. The prompt's representation is its last token's row of W (with gradient), so β
 * schemes reading the policy's representation work on it as on any other policy.
 */
final class BigramPolicy extends Module implements Policy {
    private final int vocabulary;
    private final DType dtype;
    private final Tensor weight;

    BigramPolicy(Context context, double initScale) {
        vocabulary = context.vocabularySize();
        dtype = context.dtype();
        double[] w = context.rng().normal(vocabulary * vocabulary);
        for (int i = 0; i < w.length; i++) {
            w[i] *= initScale;
        }
        weight = parameter("weight", Tensor.of(dtype, w, vocabulary, vocabulary));
    }

    @Override
    public Scores score(Sequences batch) {
        int m = batch.completions().length;
        int width = batch.maxCompletionLength();
        int[] index = new int[m * width];
        double[] mask = new double[m * width];
        double[] lengths = new double[m];
        int[] distributions = new int[m * width * vocabulary];
        for (int j = 0; j < m; j++) {
            int[] prompt = batch.prompts()[batch.promptOf()[j]];
            int[] completion = batch.completions()[j];
            int previous = prompt[prompt.length - 1];
            for (int t = 0; t < completion.length; t++) {
                index[j * width + t] = previous * vocabulary + completion[t];
                mask[j * width + t] = 1;
                for (int v = 0; v < vocabulary; v++) {
                    distributions[(j * width + t) * vocabulary + v] = previous * vocabulary + v;
                }
                previous = completion[t];
            }
            lengths[j] = completion.length;
        }
        Tensor table = weight.logSoftmax(1).flatten();
        Tensor tokens = table.gather(index).reshape(m, width).mul(Tensor.of(dtype, mask, m, width));
        int[] rows = new int[batch.prompts().length * vocabulary];
        for (int i = 0; i < batch.prompts().length; i++) {
            int[] prompt = batch.prompts()[i];
            for (int v = 0; v < vocabulary; v++) {
                rows[i * vocabulary + v] = prompt[prompt.length - 1] * vocabulary + v;
            }
        }
        Tensor representation = weight.flatten().gather(rows).reshape(batch.prompts().length, vocabulary);
        return new Scores(tokens, tokens.sum(1), Tensor.of(dtype, lengths, m), representation, null, null,
                table.gather(distributions).reshape(m, width, vocabulary));
    }

    @Override
    public int[][] sample(int[][] prompts, int maxTokens, Rng rng) {
        double[] p;
        try (var noGrad = Tensor.noGrad()) {
            p = weight.softmax(1).toDoubleArray();
        }
        int[][] out = new int[prompts.length][maxTokens];
        for (int i = 0; i < prompts.length; i++) {
            int previous = prompts[i][prompts[i].length - 1];
            double[] u = rng.uniform(maxTokens, 0, 1);
            for (int t = 0; t < maxTokens; t++) {
                int next = vocabulary - 1;
                double cumulative = 0;
                for (int v = 0; v < vocabulary; v++) {
                    cumulative += p[previous * vocabulary + v];
                    if (u[t] < cumulative) {
                        next = v;
                        break;
                    }
                }
                out[i][t] = next;
                previous = next;
            }
        }
        return out;
    }

    @Override
    public int representationDim() {
        return vocabulary;
    }
}
