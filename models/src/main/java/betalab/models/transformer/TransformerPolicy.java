package betalab.models.transformer;

import betalab.api.policy.Policy;
import betalab.api.random.Rng;
import betalab.api.tensor.Tensor;
import java.util.List;
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
    private final Sampling sampling;

    public TransformerPolicy(LlamaModel model) {
        this(model, null, Sampling.PLAIN);
    }

    /** A policy whose text goes through {@code tokenizer} (null for token ids only), sampling as given. */
    public TransformerPolicy(LlamaModel model, Tokenizer tokenizer, Sampling sampling) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.sampling = sampling;
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

        int width = batch.maxCompletionLength();
        int[] rows = new int[m * width];
        int[] targets = new int[m * width];
        double[] lengths = new double[m];
        for (int j = 0; j < m; j++) {
            int promptLength = batch.prompts()[batch.promptOf()[j]].length;
            int[] completion = batch.completions()[j];
            lengths[j] = completion.length;
            for (int i = 0; i < width; i++) {
                // Position promptLength − 1 + i predicts completion token i; past the end, any row will
                // do, its target ignored (scored 0).
                rows[j * width + i] = j * t + (i < completion.length ? promptLength - 1 + i : 0);
                targets[j * width + i] = i < completion.length ? completion[i] : -1;
            }
        }
        Tensor logits = out.logits().indexSelect(rows);
        Tensor tokenLogps = logits.tokenLogProbs(targets).reshape(m, width);
        Tensor distributions = logits.logSoftmax(1).reshape(m, width, vocabulary);

        // Each prompt is read from the first sequence that continues it.
        int prompts = batch.prompts().length;
        int[] firstSequence = new int[prompts];
        java.util.Arrays.fill(firstSequence, -1);
        for (int j = m - 1; j >= 0; j--) {
            firstSequence[batch.promptOf()[j]] = j;
        }
        int[] lastPromptRow = new int[prompts];
        for (int p = 0; p < prompts; p++) {
            if (firstSequence[p] < 0) {
                throw new IllegalArgumentException("prompt " + p + " has no completion to score");
            }
            lastPromptRow[p] = firstSequence[p] * t + batch.prompts()[p].length - 1;
        }
        Tensor representation = out.hidden().indexSelect(lastPromptRow);
        Tensor[] prompt = promptLogps(batch.prompts(), firstSequence, out, t);
        Tensor logitMeans;
        try (var noGrad = Tensor.noGrad()) {
            logitMeans = logits.mean(1).reshape(m, width);
        }
        return new Scores(tokenLogps, tokenLogps.sum(1), Tensor.of(logits.dtype(), lengths, m), representation,
                prompt[0], prompt[1], distributions, logitMeans);
    }

    /**
     * log πθ(x) of each prompt, the sum over its tokens after the first of log πθ(x_i | x_&lt;i) (the first
     * has nothing to be predicted from), and the number of tokens summed (1 for a one-token prompt,
     * whose sum is 0, so its perplexity is 1).
     */
    private static Tensor[] promptLogps(int[][] prompts, int[] firstSequence, LlamaModel.Output out, int t) {
        int width = 1;
        for (int[] prompt : prompts) {
            width = Math.max(width, prompt.length - 1);
        }
        int[] rows = new int[prompts.length * width];
        int[] targets = new int[prompts.length * width];
        double[] counted = new double[prompts.length];
        for (int p = 0; p < prompts.length; p++) {
            int[] prompt = prompts[p];
            for (int i = 0; i < width; i++) {
                boolean predicted = i < prompt.length - 1;
                rows[p * width + i] = firstSequence[p] * t + (predicted ? i : 0);
                targets[p * width + i] = predicted ? prompt[i + 1] : -1;
            }
            counted[p] = Math.max(1, prompt.length - 1);
        }
        Tensor logps = out.logits().indexSelect(rows).tokenLogProbs(targets).reshape(prompts.length, width).sum(1);
        return new Tensor[] {logps, Tensor.of(logps.dtype(), counted, prompts.length)};
    }

    /**
     * How completions are drawn, as transformers' sampling: logits divided by the temperature, then
     * only the top-k tokens (0: all), then only the smallest set whose probability reaches top-p (1: all).
     */
    public record Sampling(double temperature, int topK, double topP) {
        public static final Sampling PLAIN = new Sampling(1.0, 0, 1.0);

        public Sampling {
            if (!(temperature > 0) || topK < 0 || !(topP > 0 && topP <= 1)) {
                throw new IllegalArgumentException("sampling needs temperature > 0, top_k ≥ 0 and 0 < top_p ≤ 1, got "
                        + temperature + ", " + topK + ", " + topP);
            }
        }
    }

    /**
     * Each completion drawn token by token with the key/value cache, up to {@code maxTokens} or the
     * end-of-sequence token (kept), one uniform draw of {@code rng} per token.
     */
    @Override
    public int[][] sample(int[][] prompts, int maxTokens, Rng rng) {
        int[][] out = new int[prompts.length][];
        for (int i = 0; i < prompts.length; i++) {
            out[i] = generate(prompts[i], maxTokens, rng, true);
        }
        return out;
    }

    /** One completion, with the cache or by rerunning the whole sequence for every token. */
    int[] generate(int[] prompt, int maxTokens, Rng rng, boolean cached) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("a prompt to complete needs at least one token");
        }
        int vocabulary = model.config().vocabSize();
        List<Integer> eos = model.config().eosTokenIds();
        LlamaModel.Cache cache = new LlamaModel.Cache();
        int[] sequence = prompt.clone();
        int[] completion = new int[maxTokens];
        int n = 0;
        LlamaModel.Output out = cached ? model.forward(prompt, cache) : null;
        while (n < maxTokens) {
            if (!cached) {
                try (var noGrad = Tensor.noGrad()) {
                    out = model.forward(new int[][] {sequence});
                }
            }
            int last = (cached ? out.logits().dim(0) : sequence.length) - 1;
            int[] row = new int[vocabulary];
            for (int v = 0; v < vocabulary; v++) {
                row[v] = last * vocabulary + v;
            }
            double[] logits;
            try (var noGrad = Tensor.noGrad()) {
                logits = out.logits().gather(row).toDoubleArray();
            }
            int token = draw(logits, rng.uniform(1, 0, 1)[0]);
            completion[n++] = token;
            if (eos != null && eos.contains(token)) {
                break;
            }
            sequence = java.util.Arrays.copyOf(sequence, sequence.length + 1);
            sequence[sequence.length - 1] = token;
            if (cached && n < maxTokens) {
                out = model.forward(new int[] {token}, cache);
            }
        }
        return java.util.Arrays.copyOf(completion, n);
    }

    /** A token from these logits under the sampling settings, by inverting the distribution at u. */
    int draw(double[] logits, double u) {
        int vocabulary = logits.length;
        Integer[] order = new Integer[vocabulary];
        for (int v = 0; v < vocabulary; v++) {
            order[v] = v;
        }
        // Descending logit, ties by id, so the draw does not depend on the sort's stability.
        java.util.Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Double.compare(logits[b], logits[a]) : a - b);
        int kept = sampling.topK() == 0 ? vocabulary : Math.min(sampling.topK(), vocabulary);
        double max = logits[order[0]] / sampling.temperature();
        double[] p = new double[kept];
        double total = 0;
        for (int i = 0; i < kept; i++) {
            p[i] = Math.exp(logits[order[i]] / sampling.temperature() - max);
            total += p[i];
        }
        if (sampling.topP() < 1) {
            // The smallest prefix whose probability reaches top_p (at least one token).
            double cumulative = 0;
            int prefix = kept;
            for (int i = 0; i < kept; i++) {
                cumulative += p[i] / total;
                if (cumulative >= sampling.topP()) {
                    prefix = i + 1;
                    break;
                }
            }
            total = 0;
            for (int i = 0; i < prefix; i++) {
                total += p[i];
            }
            kept = prefix;
        }
        double cumulative = 0;
        for (int i = 0; i < kept; i++) {
            cumulative += p[i] / total;
            if (u < cumulative) {
                return order[i];
            }
        }
        return order[kept - 1];
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
