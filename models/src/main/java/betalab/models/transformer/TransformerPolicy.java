package betalab.models.transformer;

import betalab.api.policy.Policy;
import betalab.api.random.Rng;
import betalab.api.tensor.Tensor;
import java.util.Map;

/**
 * A causal language model as a preference policy: each completion is scored after its prompt in
 * one right-padded batch, its tokens' log-probabilities read as TRL reads them (the logits at
 * position i score token i + 1; prompt and padding excluded), with the whole next-token
 * distribution at each completion position. The prompt's representation for β(x; πθ) is the final
 * hidden state at its last token.
 */
public final class TransformerPolicy implements Policy {
    private final LlamaModel model;
    private final Tokenizer tokenizer;

    public TransformerPolicy(LlamaModel model) {
        this(model, null);
    }

    /** A policy whose text goes through {@code tokenizer} (null for token ids only). */
    public TransformerPolicy(LlamaModel model, Tokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public LlamaModel model() {
        return model;
    }

    @Override
    public Scores score(Sequences batch) {
        int m = batch.completions().length;
        int[][] sequences = new int[m][];
        for (int j = 0; j < m; j++) {
            int[] prompt = batch.prompts()[batch.promptOf()[j]];
            int[] completion = batch.completions()[j];
            if (prompt.length == 0) {
                throw new IllegalArgumentException("prompt " + batch.promptOf()[j] + " is empty; a causal model "
                        + "needs at least one token before a completion");
            }
            sequences[j] = new int[prompt.length + completion.length];
            System.arraycopy(prompt, 0, sequences[j], 0, prompt.length);
            System.arraycopy(completion, 0, sequences[j], prompt.length, completion.length);
        }
        LlamaModel.Output out = model.forward(sequences);
        int t = out.length();
        int vocabulary = model.config().vocabSize();
        Tensor logps = out.logits().logSoftmax(1);

        int width = batch.maxCompletionLength();
        int[] rows = new int[m * width];
        int[] picked = new int[m * width];
        double[] mask = new double[m * width];
        double[] lengths = new double[m];
        for (int j = 0; j < m; j++) {
            int promptLength = batch.prompts()[batch.promptOf()[j]].length;
            int[] completion = batch.completions()[j];
            lengths[j] = completion.length;
            for (int i = 0; i < width; i++) {
                // Position promptLength − 1 + i predicts completion token i; past the end, any row will do.
                int row = j * t + (i < completion.length ? promptLength - 1 + i : 0);
                rows[j * width + i] = row;
                if (i < completion.length) {
                    picked[j * width + i] = row * vocabulary + completion[i];
                    mask[j * width + i] = 1;
                } else {
                    picked[j * width + i] = row * vocabulary;
                }
            }
        }
        Tensor tokenLogps = logps.gather(picked).reshape(m, width).mul(Tensor.of(logps.dtype(), mask, m, width));
        Tensor distributions = logps.indexSelect(rows).reshape(m, width, vocabulary);

        int prompts = batch.prompts().length;
        int[] lastPromptRow = new int[prompts];
        java.util.Arrays.fill(lastPromptRow, -1);
        for (int j = 0; j < m; j++) {
            int p = batch.promptOf()[j];
            if (lastPromptRow[p] < 0) {
                lastPromptRow[p] = j * t + batch.prompts()[p].length - 1;
            }
        }
        for (int p = 0; p < prompts; p++) {
            if (lastPromptRow[p] < 0) {
                throw new IllegalArgumentException("prompt " + p + " has no completion to score");
            }
        }
        Tensor representation = out.hidden().indexSelect(lastPromptRow);
        return new Scores(tokenLogps, tokenLogps.sum(1), Tensor.of(logps.dtype(), lengths, m), representation,
                null, null, distributions);
    }

    /** Samples each completion token by token from the full forward pass (no key/value cache yet). */
    @Override
    public int[][] sample(int[][] prompts, int maxTokens, Rng rng) {
        int vocabulary = model.config().vocabSize();
        int[][] out = new int[prompts.length][];
        for (int i = 0; i < prompts.length; i++) {
            int[] sequence = prompts[i].clone();
            int[] completion = new int[maxTokens];
            int n = 0;
            while (n < maxTokens) {
                double[] logits;
                try (var noGrad = Tensor.noGrad()) {
                    LlamaModel.Output o = model.forward(new int[][] {sequence});
                    int last = sequence.length - 1;
                    int[] row = new int[vocabulary];
                    for (int v = 0; v < vocabulary; v++) {
                        row[v] = last * vocabulary + v;
                    }
                    logits = o.logits().logSoftmax(1).gather(row).toDoubleArray();
                }
                double u = rng.uniform(1, 0, 1)[0];
                int token = vocabulary - 1;
                double cumulative = 0;
                for (int v = 0; v < vocabulary; v++) {
                    cumulative += Math.exp(logits[v]);
                    if (u < cumulative) {
                        token = v;
                        break;
                    }
                }
                completion[n++] = token;
                sequence = java.util.Arrays.copyOf(sequence, sequence.length + 1);
                sequence[sequence.length - 1] = token;
                if (model.config().eosTokenIds() != null && model.config().eosTokenIds().contains(token)) {
                    break;
                }
            }
            out[i] = java.util.Arrays.copyOf(completion, n);
        }
        return out;
    }

    @Override
    public int representationDim() {
        return model.config().hiddenSize();
    }

    @Override
    public Map<String, Tensor> namedParameters() {
        return model.namedParameters();
    }

    @Override
    public Map<String, double[]> state() {
        return model.state();
    }

    @Override
    public void loadState(Map<String, double[]> state) {
        model.loadState(state);
    }
}
