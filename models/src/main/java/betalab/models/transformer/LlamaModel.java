package betalab.models.transformer;

import betalab.api.nn.Module;
import betalab.api.random.Rng;
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
        Attention attention = new Attention(config, b, t, cache == null ? 0 : cache.length, embed.dtype());
        Tensor x = embed.indexSelect(ids);
        for (int i = 0; i < layers.size(); i++) {
            Map<LayerTensor, Tensor> layer = layers.get(i);
            Tensor h = rmsNorm(x, layer.get(LayerTensor.INPUT_LAYERNORM));
            x = x.add(attention.forward(h, layer, cache, i));
            h = rmsNorm(x, layer.get(LayerTensor.POST_ATTENTION_LAYERNORM));
            Tensor gate = h.matmulTransposed(layer.get(LayerTensor.GATE_PROJ));
            Tensor up = h.matmulTransposed(layer.get(LayerTensor.UP_PROJ));
            x = x.add(gate.mul(gate.sigmoid()).mul(up).matmulTransposed(layer.get(LayerTensor.DOWN_PROJ)));
        }
        Tensor hidden = rmsNorm(x, norm);
        return new Output(hidden, hidden.matmulTransposed(lmHead), t);
    }

    /** x·rsqrt(mean(x²) + ε)·w over each row. */
    private Tensor rmsNorm(Tensor x, Tensor weight) {
        Tensor scale = x.square().mean(1).add(config.rmsNormEps()).sqrt().reshape(x.dim(0), 1);
        return x.div(scale).mul(weight);
    }

    /**
     * Causal self-attention for one batch shape: the rotary tables and the index maps that move
     * between the row layout [b·t, heads·d] and the per-head layout [b·heads, t, d]. With {@code past}
     * cached positions (one sequence), the t new queries start at position past and attend to the
     * past + t keys.
     */
    private static final class Attention {
        private final LlamaConfig config;
        private final int b;
        private final int t;
        private final int past;
        private final Tensor cosQ;
        private final Tensor sinQ;
        private final Tensor cosK;
        private final Tensor sinK;
        private final int[] rotateQ;
        private final int[] rotateK;
        private final int[] splitQ;
        private final int[] splitKv;
        private final int[] merge;
        private final Tensor mask;

        Attention(LlamaConfig config, int b, int t, int past, DType dtype) {
            this.config = config;
            this.b = b;
            this.t = t;
            this.past = past;
            int keys = past + t;
            int heads = config.numAttentionHeads();
            int kvHeads = config.numKeyValueHeads();
            int d = config.headDim();
            Tensor[] q = rotary(heads, dtype);
            cosQ = q[0];
            sinQ = q[1];
            Tensor[] k = rotary(kvHeads, dtype);
            cosK = k[0];
            sinK = k[1];
            rotateQ = rotateHalf(heads);
            rotateK = rotateHalf(kvHeads);
            int groups = heads / kvHeads;
            splitQ = new int[b * heads * t * d];
            splitKv = new int[b * heads * keys * d];
            merge = new int[b * t * heads * d];
            for (int s = 0; s < b; s++) {
                for (int h = 0; h < heads; h++) {
                    for (int p = 0; p < t; p++) {
                        for (int e = 0; e < d; e++) {
                            int perHead = ((s * heads + h) * t + p) * d + e;
                            int row = (s * t + p) * heads * d + h * d + e;
                            splitQ[perHead] = row;
                            merge[row] = perHead;
                        }
                    }
                    for (int p = 0; p < keys; p++) {
                        for (int e = 0; e < d; e++) {
                            // repeat_kv: query head h reads key/value head h / groups
                            splitKv[((s * heads + h) * keys + p) * d + e] = (s * keys + p) * kvHeads * d
                                    + (h / groups) * d + e;
                        }
                    }
                }
            }
            // As transformers: the dtype's lowest value where a key lies in the future.
            double lowest = dtype == DType.FLOAT32 ? -Float.MAX_VALUE : -Double.MAX_VALUE;
            double[] m = new double[t * keys];
            for (int i = 0; i < t; i++) {
                for (int j = past + i + 1; j < keys; j++) {
                    m[i * keys + j] = lowest;
                }
            }
            mask = Tensor.of(dtype, m, 1, t, keys);
        }

        /** cos and sin of position·θ^(−2i/d) for every row and every head's dimension, [b·t, heads·d]. */
        private Tensor[] rotary(int heads, DType dtype) {
            int d = config.headDim();
            double[] cos = new double[b * t * heads * d];
            double[] sin = new double[cos.length];
            for (int s = 0; s < b; s++) {
                for (int p = 0; p < t; p++) {
                    for (int h = 0; h < heads; h++) {
                        for (int e = 0; e < d; e++) {
                            double angle = angle(past + p, e % (d / 2), d, dtype);
                            int at = (s * t + p) * heads * d + h * d + e;
                            cos[at] = Math.cos(angle);
                            // rotate_half's sign folded in: the first half reads −x[i + d/2]
                            sin[at] = e < d / 2 ? -Math.sin(angle) : Math.sin(angle);
                        }
                    }
                }
            }
            return new Tensor[] {Tensor.of(dtype, cos, b * t, heads * d), Tensor.of(dtype, sin, b * t, heads * d)};
        }

        /**
         * position·θ^(−2i/d), in float32 arithmetic for a float32 model as transformers computes its
         * rotary frequencies (in float32 at least), so the tables agree to the last bit or two.
         */
        private double angle(int position, int i, int d, DType dtype) {
            if (dtype == DType.FLOAT32) {
                float inverse = 1.0f / (float) Math.pow(config.ropeTheta(), (float) (2 * i) / (float) d);
                return (float) position * inverse;
            }
            return position / Math.pow(config.ropeTheta(), 2.0 * i / d);
        }

        /** The flat index of rotate_half's source for every element of [b·t, heads·d]. */
        private int[] rotateHalf(int heads) {
            int d = config.headDim();
            int width = heads * d;
            int[] index = new int[b * t * width];
            for (int r = 0; r < b * t; r++) {
                for (int h = 0; h < heads; h++) {
                    for (int e = 0; e < d; e++) {
                        int source = e < d / 2 ? e + d / 2 : e - d / 2;
                        index[r * width + h * d + e] = r * width + h * d + source;
                    }
                }
            }
            return index;
        }

        private static Tensor rope(Tensor x, Tensor cos, Tensor sin, int[] rotate) {
            return x.mul(cos).add(x.gather(rotate).reshape(x.shape()).mul(sin));
        }

        Tensor forward(Tensor x, Map<LayerTensor, Tensor> layer, Cache cache, int index) {
            int heads = config.numAttentionHeads();
            int d = config.headDim();
            int keys = past + t;
            Tensor q = rope(x.matmulTransposed(layer.get(LayerTensor.Q_PROJ)), cosQ, sinQ, rotateQ);
            Tensor k = rope(x.matmulTransposed(layer.get(LayerTensor.K_PROJ)), cosK, sinK, rotateK);
            Tensor v = x.matmulTransposed(layer.get(LayerTensor.V_PROJ));
            if (cache != null) {
                k = extend(cache.keys, index, k);
                v = extend(cache.values, index, v);
            }
            Tensor qh = q.gather(splitQ).reshape(b * heads, t, d);
            Tensor kh = k.gather(splitKv).reshape(b * heads, keys, d);
            Tensor vh = v.gather(splitKv).reshape(b * heads, keys, d);
            Tensor probs = qh.bmmTransposed(kh).mul(1 / Math.sqrt(d)).add(mask).softmax(2);
            Tensor out = probs.bmm(vh).gather(merge).reshape(b * t, heads * d);
            return out.matmulTransposed(layer.get(LayerTensor.O_PROJ));
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
}
