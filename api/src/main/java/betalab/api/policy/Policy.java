package betalab.api.policy;

import betalab.api.Stateful;
import betalab.api.random.Rng;
import betalab.api.registry.ExtensionPoint;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * A policy πθ(y | x) over token sequences, as preference training sees it: for completions of
 * prompts it gives each completion token's log-probability (prompt and padding masked out), their
 * sums and lengths, and a representation of each prompt that β(x; πθ) schemes read; and it samples
 * completions. A causal language model is one; the contextual bandit's policies are others, whose
 * prompt is one token (the prompt's index) and whose completion is one token (a candidate).
 */
public interface Policy extends Stateful {

    /** The policies, bound by name; the task they are trained on gives their context. */
    ExtensionPoint<Policy, Context> POINT = ExtensionPoint.of("policy", "Policies", Policy.class);

    /** Scores each completion given its prompt. */
    Scores score(Sequences batch);

    /**
     * One completion for each prompt, at most {@code maxTokens} tokens, drawn from πθ with
     * {@code rng} (so the same generator state gives the same completions).
     */
    int[][] sample(int[][] prompts, int maxTokens, Rng rng);

    /** The policy's text codec, or null where its tokens are not text (the bandit's). */
    default Tokenizer tokenizer() {
        return null;
    }

    /** Text to the policy's token ids and back. */
    interface Tokenizer {
        /** The ids of {@code text}, without special tokens. */
        int[] encode(String text);

        String decode(int[] ids);

        /** The token that ends a completion (TRL appends it to chosen and rejected), or -1 for none. */
        int endOfSequence();

        /** The ids of a completion's text and the end-of-sequence token after them, as TRL tokenizes completions. */
        default int[] completion(String text) {
            int[] ids = encode(text);
            if (endOfSequence() < 0) {
                return ids;
            }
            int[] out = java.util.Arrays.copyOf(ids, ids.length + 1);
            out[ids.length] = endOfSequence();
            return out;
        }
    }

    /** The width of {@link Scores#representation()}. */
    int representationDim();

    /** Trainable parameters by name; a {@code Module} names them by path. */
    Map<String, Tensor> namedParameters();

    default List<Tensor> parameters() {
        return List.copyOf(namedParameters().values());
    }

    /**
     * Completions to score: completion j continues prompt {@code promptOf[j]}, so completions that
     * share a prompt (a preference pair's two) read it once.
     *
     * @param prompts     token ids of each prompt
     * @param completions token ids of each completion, at least one each
     * @param promptOf    for each completion, the index of its prompt in {@code prompts}
     */
    record Sequences(int[][] prompts, int[][] completions, int[] promptOf) {
        public Sequences {
            if (promptOf.length != completions.length) {
                throw new IllegalArgumentException(completions.length + " completions but " + promptOf.length
                        + " prompt indices");
            }
            for (int j = 0; j < promptOf.length; j++) {
                if (promptOf[j] < 0 || promptOf[j] >= prompts.length) {
                    throw new IllegalArgumentException("completion " + j + " names prompt " + promptOf[j]
                            + ", but there are " + prompts.length);
                }
                if (completions[j].length == 0) {
                    throw new IllegalArgumentException("completion " + j + " is empty");
                }
            }
        }

        /** Completion j continues prompt j. */
        public static Sequences aligned(int[][] prompts, int[][] completions) {
            int[] promptOf = new int[completions.length];
            for (int j = 0; j < promptOf.length; j++) {
                promptOf[j] = j;
            }
            return new Sequences(prompts, completions, promptOf);
        }

        /** The longest completion's length: the width of per-token results. */
        public int maxCompletionLength() {
            int max = 0;
            for (int[] c : completions) {
                max = Math.max(max, c.length);
            }
            return max;
        }
    }

    /**
     * What {@link #score} gives, for m completions of p prompts.
     *
     * @param tokenLogps     log πθ of each completion token, [m, T], 0 past each completion's length
     * @param sums           each completion's log-probability, the sum of its row of tokenLogps, [m]
     * @param lengths        each completion's length in tokens, [m]
     * @param representation each prompt's representation, [p, representationDim], with gradient
     * @param promptLogps    log πθ(x) summed over each prompt's tokens, [p], or null where the policy has none
     * @param promptLengths  the number of tokens promptLogps sums, [p], or null with it
     * @param vocabularyLogps log πθ(v | prefix) of every vocabulary entry v at each completion position,
     *                       [m, T, V] (rows past a completion's length are any distribution), or null
     *                       where the policy gives none; methods that perturb or weigh whole
     *                       next-token distributions (ε-DPO, WPO) read it
     * @param logitMeans     at each completion position the mean over the vocabulary of the raw
     *                       next-token logits, [m, T], without gradient, or null where the policy has no
     *                       logits (TRL's logits/chosen and logits/rejected average it over the tokens)
     */
    record Scores(Tensor tokenLogps, Tensor sums, Tensor lengths, Tensor representation, Tensor promptLogps,
                  Tensor promptLengths, Tensor vocabularyLogps, Tensor logitMeans) {

        /** Scores of a policy without logits. */
        public Scores(Tensor tokenLogps, Tensor sums, Tensor lengths, Tensor representation, Tensor promptLogps,
                      Tensor promptLengths, Tensor vocabularyLogps) {
            this(tokenLogps, sums, lengths, representation, promptLogps, promptLengths, vocabularyLogps, null);
        }
    }

    /**
     * What a policy is built with: the vocabulary its tokens come from and any tables of feature
     * vectors the task gives (the bandit gives "prompt_features" and "candidate_embeddings"),
     * the run's generator for initial weights, and a precision.
     */
    record Context(int vocabularySize, Map<String, Tensor> tables, Rng rng, DType dtype) {
        public Context {
            tables = Map.copyOf(tables);
        }

        /** The table {@code name}; fails naming the policy that needs it when the task gives none. */
        public Tensor table(String name, String owner) {
            Tensor t = tables.get(name);
            if (t == null) {
                throw new IllegalArgumentException(owner + " needs the task to give the table '" + name
                        + "'; it gives " + (tables.isEmpty() ? "none" : String.join(", ", tables.keySet())));
            }
            return t;
        }
    }
}
