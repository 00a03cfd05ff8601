package betalab.models;

import betalab.api.nn.Module;
import betalab.api.policy.Policy;
import betalab.api.random.Rng;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;

/**
 * A policy over a finite set of candidate responses per prompt, the contextual bandit's πθ: an
 * encoder maps each prompt's features x to a representation e(x) in the candidates' space, and
 * πθ(y_k | x) = softmax_k(e(x)·y_k). As token sequences, a prompt is one token (its index in the
 * task's "prompt_features" table) and a completion one token (a candidate, 0 … K−1, of that
 * prompt's row of "candidate_embeddings"). Subclasses write the encoder.
 */
abstract class CandidatePolicy extends Module implements Policy {
    static final String PROMPT_FEATURES = "prompt_features";
    static final String CANDIDATES = "candidate_embeddings";

    /** The task's tables as constants in the policy's dtype; a batch takes its rows. */
    private final Tensor features;
    private final Tensor candidates;
    private final int prompts;
    private final int promptDim;
    private final int candidateCount;
    private final int responseDim;

    CandidatePolicy(Context context, String owner) {
        Tensor x = context.table(PROMPT_FEATURES, owner);
        Tensor y = context.table(CANDIDATES, owner);
        if (x.rank() != 2 || y.rank() != 3 || y.dim(0) != x.dim(0)) {
            throw new IllegalArgumentException(owner + " needs prompt_features [N, dx] and candidate_embeddings "
                    + "[N, K, dy] for the same N prompts");
        }
        DType dtype = context.dtype();
        features = Tensor.of(dtype, x.toDoubleArray(), x.shape());
        candidates = Tensor.of(dtype, y.toDoubleArray(), y.shape());
        prompts = x.dim(0);
        promptDim = x.dim(1);
        candidateCount = y.dim(1);
        responseDim = y.dim(2);
    }

    int promptDim() {
        return promptDim;
    }

    /** e(x) for each prompt: [n, promptDim] to [n, representationDim()]. */
    abstract Tensor encode(Tensor prompts);

    @Override
    public int representationDim() {
        return responseDim;
    }

    @Override
    public Scores score(Sequences batch) {
        int[] ids = promptIds(batch.prompts());
        Tensor representation = encode(features.indexSelect(ids));
        Tensor logps = logProbs(representation, ids);
        int m = batch.completions().length;
        int[] picked = new int[m];
        for (int j = 0; j < m; j++) {
            int[] completion = batch.completions()[j];
            if (completion.length != 1 || completion[0] < 0 || completion[0] >= candidateCount) {
                throw new IllegalArgumentException("completion " + j + " must be one candidate in [0, "
                        + candidateCount + ")");
            }
            picked[j] = batch.promptOf()[j] * candidateCount + completion[0];
        }
        Tensor sums = logps.gather(picked);
        Tensor ones = Tensor.full(sums.dtype(), 1.0, m);
        // The bandit's analogue of a prompt's log-probability: Σ π log π over its one "token".
        Tensor negEntropy = logps.exp().mul(logps).sum(1);
        return new Scores(sums.reshape(m, 1), sums, ones, representation, negEntropy,
                Tensor.full(sums.dtype(), 1.0, ids.length),
                // Completion j's one position has the distribution over its prompt's K candidates.
                logps.indexSelect(batch.promptOf()).reshape(m, 1, candidateCount));
    }

    @Override
    public int[][] sample(int[][] prompts, int maxTokens, Rng rng) {
        int[] ids = promptIds(prompts);
        double[] logps;
        try (var noGrad = Tensor.noGrad()) {
            logps = logProbs(encode(features.indexSelect(ids)), ids).toDoubleArray();
        }
        double[] u = rng.uniform(ids.length, 0, 1);
        int[][] out = new int[ids.length][];
        for (int i = 0; i < ids.length; i++) {
            int k = candidateCount - 1;
            double cumulative = 0;
            for (int c = 0; c < candidateCount; c++) {
                cumulative += Math.exp(logps[i * candidateCount + c]);
                if (u[i] < cumulative) {
                    k = c;
                    break;
                }
            }
            out[i] = new int[] {k};
        }
        return out;
    }

    /** log πθ(y_k | x) of every candidate of these prompts: [n, K]. */
    private Tensor logProbs(Tensor representation, int[] ids) {
        int n = ids.length;
        // [n, K, d] · [n, d, 1]: each prompt's candidates (read in the table) times its representation.
        Tensor scores = candidates.indexSelectBmm(ids, representation.reshape(n, responseDim, 1))
                .reshape(n, candidateCount);
        return scores.logSoftmax(1);
    }

    private int[] promptIds(int[][] tokens) {
        int[] ids = new int[tokens.length];
        for (int i = 0; i < ids.length; i++) {
            if (tokens[i].length != 1 || tokens[i][0] < 0 || tokens[i][0] >= prompts) {
                throw new IllegalArgumentException("prompt " + i + " must be one token in [0, " + prompts + ")");
            }
            ids[i] = tokens[i][0];
        }
        return ids;
    }
}
