package betalab.models.transformer;

import betalab.api.nn.Module;
import betalab.api.random.Rng;
import betalab.api.tensor.Attention;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import betalab.models.hf.LlamaCheckpoint;
import betalab.models.hf.LlamaCheckpoint.LayerTensor;
import betalab.models.hf.LlamaConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A decoder-only transformer of the Llama family, computed as transformers' {@code modeling_llama}
 * computes it: token embeddings; per layer, pre-norm (RMSNorm) multi-head causal self-attention with
 * rotary position embeddings (rotate-half) and grouped key/value heads, then a pre-norm SwiGLU MLP,
 * each added to the residual stream; a final RMSNorm and the output projection (the embedding
 * matrix itself when tied). Parameters carry {@code LlamaForCausalLM}'s names.
 *
 * <p>Sequences are right-padded into one batch and start at position 0; the causal mask alone keeps
 * every real token from seeing padding, which only ever follows it.
 */
public final class LlamaModel extends Module {
    private final LlamaConfig config;
    private final Tensor embed;
    private final List<Map<LayerTensor, Tensor>> layers = new ArrayList<>();
    private final Tensor norm;
    private final Tensor lmHead;
    /** The rotary cos and sin tables, [positions, head_dim/2], made at the first forward and grown as needed. */
    private Tensor[] rotary;

    /** A model with transformers' initial weights: linear and embedding weights N(0, initializer_range²), norms 1. */
    public LlamaModel(LlamaConfig config, Rng rng, DType dtype) {
        this(config, initial(config, rng, dtype));
    }

    /** A model holding a checkpoint's weights (copied). */
    public LlamaModel(LlamaCheckpoint checkpoint) {
        this(checkpoint.config(), checkpoint.tensors());
    }

    private LlamaModel(LlamaConfig config, Map<String, Tensor> weights) {
        this.config = config;
        embed = parameter(LlamaCheckpoint.EMBED_TOKENS, weights.get(LlamaCheckpoint.EMBED_TOKENS).detach());
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            Map<LayerTensor, Tensor> layer = new LinkedHashMap<>();
            for (LayerTensor t : LayerTensor.values()) {
                layer.put(t, parameter(t.name(i), weights.get(t.name(i)).detach()));
            }
            layers.add(layer);
        }
        norm = parameter(LlamaCheckpoint.NORM, weights.get(LlamaCheckpoint.NORM).detach());
        lmHead = config.tieWordEmbeddings() ? embed
                : parameter(LlamaCheckpoint.LM_HEAD, weights.get(LlamaCheckpoint.LM_HEAD).detach());
    }

    private static Map<String, Tensor> initial(LlamaConfig config, Rng rng, DType dtype) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        LlamaCheckpoint.expectedShapes(config).forEach((name, shape) -> {
            int size = 1;
            for (int d : shape) {
                size *= d;
            }
            boolean isNorm = shape.length == 1;
            double[] values = isNorm ? ones(size) : rng.normal(size);
            if (!isNorm) {
                for (int i = 0; i < size; i++) {
                    values[i] *= config.initializerRange();
                }
            }
            out.put(name, Tensor.of(dtype, values, shape));
        });
        return out;
    }

    private static double[] ones(int n) {
        double[] v = new double[n];
        java.util.Arrays.fill(v, 1);
        return v;
    }

    public LlamaConfig config() {
        return config;
    }

    /** The weights under transformers' names, for saving (a tied model leaves out lm_head). */
    public LlamaCheckpoint checkpoint() {
        Map<String, Tensor> tensors = new LinkedHashMap<>(namedParameters());
        return new LlamaCheckpoint(config, tensors);
    }

    /**
     * The forward pass over right-padded sequences.
     *
     * @param hidden the final-normed hidden state of every position, [b·t, hidden_size]
     * @param logits the next-token logits of every position, [b·t, vocab_size]
     * @param length t, the longest sequence's length (rows of sequence i are i·t … i·t + t − 1)
     */
    public record Output(Tensor hidden, Tensor logits, int length) {
    }

    /** Runs every sequence, right-padded to the longest with token 0. */
    public Output forward(int[][] sequences) {
        int b = sequences.length;
        int t = 0;
        for (int[] s : sequences) {
            t = Math.max(t, s.length);
        }
        if (t > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("a sequence of " + t + " tokens is longer than max_position_embeddings "
                    + config.maxPositionEmbeddings());
        }
        int[] ids = new int[b * t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < sequences[i].length; j++) {
                int id = sequences[i][j];
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " of sequence " + i + " is outside the "
                            + "vocabulary [0, " + config.vocabSize() + ")");
                }
                ids[i * t + j] = id;
            }
        }
        return run(ids, b, t, null);
    }

    /**
     * Keys and values of the positions run so far, for generation: each new token then costs one
     * position (its query against the cached keys) instead of the whole sequence again.
     */
    public static final class Cache {
        private final List<double[]> keys = new ArrayList<>();
        private final List<double[]> values = new ArrayList<>();
        private int length;

        /** Positions cached. */
        public int length() {
            return length;
        }
    }

    /**
     * Runs the next tokens of one sequence after the positions in {@code cache}, which it extends;
     * no gradients. Logits and hidden states are those of the new positions only.
     */
    public Output forward(int[] tokens, Cache cache) {
        if (cache.length + tokens.length > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("a sequence of " + (cache.length + tokens.length)
                    + " tokens is longer than max_position_embeddings " + config.maxPositionEmbeddings());
        }
        for (int id : tokens) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, "
                        + config.vocabSize() + ")");
            }
        }
        try (var noGrad = Tensor.noGrad()) {
            Output out = run(tokens, 1, tokens.length, cache);
            cache.length += tokens.length;
            return out;
        }
    }

    private Output run(int[] ids, int b, int t, Cache cache) {
        int past = cache == null ? 0 : cache.length;
        Attention shape = new Attention(b, t, past + t, config.numAttentionHeads(), config.numKeyValueHeads(),
                config.headDim());
        int[] positions = new int[b * t];
        for (int r = 0; r < positions.length; r++) {
            positions[r] = past + r % t;
        }
        Tensor[] rotary = rotaryTables(past + t);
        double eps = config.rmsNormEps();
        Tensor x = embed.indexSelect(ids);
        for (int i = 0; i < layers.size(); i++) {
            Map<LayerTensor, Tensor> layer = layers.get(i);
            Tensor h = x.rmsNorm(layer.get(LayerTensor.INPUT_LAYERNORM), eps);
            Tensor q = h.matmulTransposed(layer.get(LayerTensor.Q_PROJ)).rope(rotary[0], rotary[1], positions,
                    config.headDim());
            Tensor k = h.matmulTransposed(layer.get(LayerTensor.K_PROJ)).rope(rotary[0], rotary[1], positions,
                    config.headDim());
            Tensor v = h.matmulTransposed(layer.get(LayerTensor.V_PROJ));
            if (cache != null) {
                k = extend(cache.keys, i, k);
                v = extend(cache.values, i, v);
            }
            Tensor attended = Tensor.attention(q, k, v, shape, null);
            x = x.add(attended.matmulTransposed(layer.get(LayerTensor.O_PROJ)));
            h = x.rmsNorm(layer.get(LayerTensor.POST_ATTENTION_LAYERNORM), eps);
            Tensor gate = h.matmulTransposed(layer.get(LayerTensor.GATE_PROJ)).silu();
            Tensor up = h.matmulTransposed(layer.get(LayerTensor.UP_PROJ));
            x = x.add(gate.mul(up).matmulTransposed(layer.get(LayerTensor.DOWN_PROJ)));
        }
        Tensor hidden = x.rmsNorm(norm, eps);
        return new Output(hidden, hidden.matmulTransposed(lmHead), t);
    }

    /**
     * cos and sin of position·θ^(−2i/d) for positions 0 … at least {@code length} − 1, [positions, d/2],
     * kept between calls and doubled (up to max_position_embeddings) when a longer sequence comes.
     */
    private synchronized Tensor[] rotaryTables(int length) {
        if (rotary == null || rotary[0].dim(0) < length) {
            int positions = Math.min(config.maxPositionEmbeddings(), Math.max(length, rotary == null ? 64
                    : 2 * rotary[0].dim(0)));
            int half = config.headDim() / 2;
            double[] cos = new double[positions * half];
            double[] sin = new double[cos.length];
            for (int p = 0; p < positions; p++) {
                for (int i = 0; i < half; i++) {
                    double angle = angle(p, i);
                    cos[p * half + i] = Math.cos(angle);
                    sin[p * half + i] = Math.sin(angle);
                }
            }
            rotary = new Tensor[] {Tensor.of(embed.dtype(), cos, positions, half),
                    Tensor.of(embed.dtype(), sin, positions, half)};
        }
        return rotary;
    }

    /**
     * position·θ^(−2i/d), in float32 arithmetic for a float32 model as transformers computes its
     * rotary frequencies (in float32 at least), so the tables agree to the last bit or two.
     */
    private double angle(int position, int i) {
        int d = config.headDim();
        if (embed.dtype() == DType.FLOAT32) {
            float inverse = 1.0f / (float) Math.pow(config.ropeTheta(), (float) (2 * i) / (float) d);
            return (float) position * inverse;
        }
        return position / Math.pow(config.ropeTheta(), 2.0 * i / d);
    }

    /** Layer {@code index}'s cached rows followed by the new ones, which join the cache. */
    private static Tensor extend(List<double[]> cached, int index, Tensor fresh) {
        double[] before = cached.size() > index ? cached.get(index) : new double[0];
        double[] added = fresh.toDoubleArray();
        double[] all = java.util.Arrays.copyOf(before, before.length + added.length);
        System.arraycopy(added, 0, all, before.length, added.length);
        if (cached.size() > index) {
            cached.set(index, all);
        } else {
            cached.add(all);
        }
        int width = fresh.dim(1);
        return Tensor.of(fresh.dtype(), all, all.length / width, width);
    }
}
