package betalab.lm.task;

import betalab.api.policy.Policy;
import betalab.api.tensor.Tensor;
import betalab.models.transformer.TransformerPolicy;
import java.util.Arrays;

/** What the language-model tasks ask of a policy: its tokenizer, its context length, scores in small batches. */
final class LanguageModels {
    /** Completions per forward pass when scoring: bounds the [m, T, V] next-token distributions a pass builds. */
    static final int SCORING_BATCH = 16;

    private LanguageModels() {
    }

    /** The policy's tokenizer; fails naming the task when the policy has none. */
    static Policy.Tokenizer tokenizer(Policy policy, String owner) {
        Policy.Tokenizer tokenizer = policy.tokenizer();
        if (tokenizer == null) {
            throw new IllegalArgumentException(owner + " needs a language model with a tokenizer: policy: {name: "
                    + "transformer, from: DIR}, DIR holding config.json, model.safetensors and tokenizer.json "
                    + "(what betalab sft writes)");
        }
        return tokenizer;
    }

    /** The longest prompt + completion the policy reads, or {@link Integer#MAX_VALUE} where it states none. */
    static int maxPositions(Policy policy) {
        return policy instanceof TransformerPolicy t ? t.model().config().maxPositionEmbeddings() : Integer.MAX_VALUE;
    }

    /** Whether a sampled completion stopped at the end-of-sequence token. */
    static boolean ended(Policy.Tokenizer tokenizer, int[] completion) {
        return completion.length > 0 && completion[completion.length - 1] == tokenizer.endOfSequence();
    }

    /** A sampled completion's text, its end-of-sequence token left out. */
    static String text(Policy.Tokenizer tokenizer, int[] completion) {
        return tokenizer.decode(ended(tokenizer, completion) ? Arrays.copyOf(completion, completion.length - 1)
                : completion);
    }

    /** log π(completions[i] | prompts[i]), summed over each completion's tokens, without gradients. */
    static double[] logps(Policy policy, int[][] prompts, int[][] completions) {
        double[] out = new double[completions.length];
        try (var noGrad = Tensor.noGrad()) {
            for (int from = 0; from < completions.length; from += SCORING_BATCH) {
                int to = Math.min(completions.length, from + SCORING_BATCH);
                double[] sums = policy.score(Policy.Sequences.aligned(Arrays.copyOfRange(prompts, from, to),
                        Arrays.copyOfRange(completions, from, to))).sums().toDoubleArray();
                System.arraycopy(sums, 0, out, from, sums.length);
            }
        }
        return out;
    }
}
