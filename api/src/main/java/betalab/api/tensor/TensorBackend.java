package betalab.api.tensor;

/**
 * The engine SPI: a backend owns storage and runs batched kernels on it. Tensors, gradients and
 * everything above them are engine-neutral; a backend is found through {@link java.util.ServiceLoader}.
 *
 * <p>Shapes are passed alongside storages; every kernel returns new storage unless its name says
 * "InPlace". Results have the precision of the widest input.
 */
public interface TensorBackend {

    /** Short name used to select this backend ({@code --backend}, {@code betalab.backend}). */
    String name();

    /**
     * The backend as a run's provenance records it: its name and whatever else decides the last bits
     * of its results (which kernels run). Runs compared number for number need equal descriptions.
     */
    default String describe() {
        return name();
    }

    /** When several backends are present and none is asked for, the highest priority wins. */
    int priority();

    Storage of(double[] values, DType dtype);

    Storage full(int size, double value, DType dtype);

    double[] toDoubleArray(Storage storage);

    Storage cast(Storage storage, DType dtype);

    Storage unary(UnaryOp op, Storage x);

    /** dL/dx given x, y = op(x) and dL/dy: one fused call per op. */
    Storage unaryBackward(UnaryOp op, Storage x, Storage y, Storage gradY);

    Storage binary(BinaryOp op, Storage a, int[] aShape, Storage b, int[] bShape, int[] outShape);

    /** Sums a broadcast result back to the shape it was broadcast from. */
    Storage sumTo(Storage x, int[] shape, int[] targetShape);

    /** Repeats x (of a shape broadcastable to outShape) into outShape. */
    Storage broadcastTo(Storage x, int[] shape, int[] outShape);

    /** Sum over one axis, which is removed from the shape. */
    Storage sumAxis(Storage x, int[] shape, int axis);

    /** log Σ exp over one axis, computed stably; the axis is removed from the shape. */
    Storage logSumExpAxis(Storage x, int[] shape, int axis);

    /**
     * log softmax over one axis, keeping the shape: (x − max) − log Σ exp(x − max) along the axis,
     * computed in double and rounded once. An entry of −∞ gives −∞; a slice of only −∞, or holding
     * +∞ or NaN, gives NaN.
     */
    default Storage logSoftmaxAxis(Storage x, int[] shape, int axis) {
        double[] in = toDoubleArray(x);
        double[] out = new double[in.length];
        int len = shape[axis];
        int inner = innerSize(shape, axis);
        int outer = len * inner == 0 ? 0 : in.length / (len * inner);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * len * inner + i;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) {
                    max = Math.max(max, in[base + j * inner]);
                }
                double sum = 0;
                for (int j = 0; j < len; j++) {
                    sum += Math.exp(in[base + j * inner] - max);
                }
                double logSum = Math.log(sum);
                for (int j = 0; j < len; j++) {
                    out[base + j * inner] = (in[base + j * inner] - max) - logSum;
                }
            }
        }
        return of(out, x.dtype());
    }

    /** The gradient of {@link #logSoftmaxAxis} from its output y: g − exp(y)·Σ g along the axis, in double. */
    default Storage logSoftmaxBackward(Storage y, Storage gradY, int[] shape, int axis) {
        double[] ys = toDoubleArray(y);
        double[] g = toDoubleArray(gradY);
        double[] out = new double[ys.length];
        int len = shape[axis];
        int inner = innerSize(shape, axis);
        int outer = len * inner == 0 ? 0 : ys.length / (len * inner);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * len * inner + i;
                double sum = 0;
                for (int j = 0; j < len; j++) {
                    sum += g[base + j * inner];
                }
                for (int j = 0; j < len; j++) {
                    out[base + j * inner] = g[base + j * inner] - Math.exp(ys[base + j * inner]) * sum;
                }
            }
        }
        return of(out, DType.widest(y.dtype(), gradY.dtype()));
    }

    private static int innerSize(int[] shape, int axis) {
        int inner = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        return inner;
    }

    /** op(a) · op(b) for row-major matrices, op being an optional transpose; a is m×k after op, b is k×n. */
    Storage matmul(Storage a, boolean transposeA, Storage b, boolean transposeB, int m, int k, int n);

    /**
     * A batch of products, op(a_b) · op(b_b) for b = 0 … batch − 1, each as {@link #matmul}: a holds
     * the batch's row-major m×k matrices one after another (k×m when transposed), b its k×n ones (n×k
     * when transposed), the result its m×n ones. This default runs {@link #matmul} once per batch
     * entry on copies; a backend overrides it to skip the copies.
     */
    default Storage batchedMatmul(Storage a, boolean transposeA, Storage b, boolean transposeB, int batch, int m,
                                  int k, int n) {
        DType dtype = DType.widest(a.dtype(), b.dtype());
        double[] as = toDoubleArray(a);
        double[] bs = toDoubleArray(b);
        double[] out = new double[batch * m * n];
        for (int i = 0; i < batch; i++) {
            Storage ai = of(java.util.Arrays.copyOfRange(as, i * m * k, (i + 1) * m * k), a.dtype());
            Storage bi = of(java.util.Arrays.copyOfRange(bs, i * k * n, (i + 1) * k * n), b.dtype());
            System.arraycopy(toDoubleArray(matmul(ai, transposeA, bi, transposeB, m, k, n)), 0, out, i * m * n, m * n);
        }
        return of(out, dtype);
    }

    /**
     * {@link #batchedMatmul} with A's entries picked from a table: entry i multiplies a's entry
     * aEntries[i] (a holds any number of m×k entries, k×m when transposed) by b's entry i, as
     * {@code batchedMatmul(gatherRows(a, m·k, aEntries), …)} computes it. This default does exactly
     * that; a backend overrides it to read the entries in place.
     */
    default Storage batchedMatmul(Storage a, int[] aEntries, boolean transposeA, Storage b, boolean transposeB,
                                  int batch, int m, int k, int n) {
        return batchedMatmul(gatherRows(a, m * k, aEntries), transposeA, b, transposeB, batch, m, k, n);
    }

    /**
     * Rows of x along its first axis, each {@code rowSize} elements long: out's row i is x's row
     * index[i] (an embedding lookup). This default goes through {@link #gather}.
     */
    default Storage gatherRows(Storage x, int rowSize, int[] index) {
        int[] flat = new int[index.length * rowSize];
        for (int i = 0; i < index.length; i++) {
            for (int j = 0; j < rowSize; j++) {
                flat[i * rowSize + j] = index[i] * rowSize + j;
            }
        }
        return gather(x, flat);
    }

    /**
     * The adjoint of {@link #gatherRows}: {@code rows} rows of zeros, and g's row i added to row
     * index[i]. This default goes through {@link #scatterAdd}.
     */
    default Storage scatterAddRows(Storage g, int rowSize, int[] index, int rows) {
        int[] flat = new int[index.length * rowSize];
        for (int i = 0; i < index.length; i++) {
            for (int j = 0; j < rowSize; j++) {
                flat[i * rowSize + j] = index[i] * rowSize + j;
            }
        }
        return scatterAdd(g, flat, rows * rowSize);
    }

    /** out[i] = x[index[i]] over the flat elements of x. */
    default Storage gather(Storage x, int[] index) {
        double[] in = toDoubleArray(x);
        double[] out = new double[index.length];
        for (int i = 0; i < index.length; i++) {
            out[i] = in[index[i]];
        }
        return of(out, x.dtype());
    }

    /** The adjoint of {@link #gather}: out has {@code size} zeros, and out[index[i]] += g[i]. */
    default Storage scatterAdd(Storage g, int[] index, int size) {
        double[] in = toDoubleArray(g);
        double[] out = new double[size];
        for (int i = 0; i < index.length; i++) {
            out[index[i]] += in[i];
        }
        return of(out, g.dtype());
    }

    // Transformer kernels. The defaults (ReferenceKernels) compute in double on copies; a backend
    // overrides them with its own kernels, which must give the same values to rounding.

    /**
     * RMSNorm over rows of {@code width}: y = x·rstd·w with rstd = 1/√(mean(x²) + eps) per row, as
     * transformers' LlamaRMSNorm. Returns {y, rstd} (rstd float64, one per row, for the backward).
     */
    default Storage[] rmsNorm(Storage x, Storage weight, int width, double eps) {
        return ReferenceKernels.rmsNorm(this, x, weight, width, eps);
    }

    /** The gradients {dx, dw} of {@link #rmsNorm} from its input, weight, rstd and dL/dy. */
    default Storage[] rmsNormBackward(Storage x, Storage weight, Storage rstd, Storage gradY, int width) {
        return ReferenceKernels.rmsNormBackward(this, x, weight, rstd, gradY, width);
    }

    /**
     * LayerNorm over rows of {@code width}: y = (x − mean)·rstd·w + b, rstd = 1/√(var + eps) with the
     * biased variance, as {@code torch.nn.LayerNorm}. Returns {y, stats} (stats float64: mean and rstd
     * of each row, interleaved).
     */
    default Storage[] layerNorm(Storage x, Storage weight, Storage bias, int width, double eps) {
        return ReferenceKernels.layerNorm(this, x, weight, bias, width, eps);
    }

    /** The gradients {dx, dw, db} of {@link #layerNorm} from its input, weight, stats and dL/dy. */
    default Storage[] layerNormBackward(Storage x, Storage weight, Storage stats, Storage gradY, int width) {
        return ReferenceKernels.layerNormBackward(this, x, weight, stats, gradY, width);
    }

    /**
     * Rotary position embedding in transformers' rotate-half convention: x holds rows of heads of
     * {@code headDim}; in each head the pair (i, i + headDim/2) of row r turns by the angle whose
     * cos and sin are entry i of row positions[r] of the tables [positions, headDim/2]:
     * (a, b) → (a·cos − b·sin, b·cos + a·sin). {@code inverse} turns by the opposite angle, which
     * is the gradient.
     */
    default Storage rope(Storage x, Storage cos, Storage sin, int[] positions, int headDim, boolean inverse) {
        return ReferenceKernels.rope(this, x, cos, sin, positions, headDim, inverse);
    }

    /**
     * Causal self-attention, fused: per sequence and head softmax(q·kᵀ/√d + causal mask)·v in the row
     * layout of {@link Attention}. {@code keyMask} (batch·keys, or null for all) leaves out keys that
     * are false (padding); a query with no key left gets zeros. Returns {out [batch·queries,
     * heads·headDim], probabilities [batch, heads, queries, keys]} (0 where masked), the latter for
     * the backward.
     */
    default Storage[] attention(Storage q, Storage k, Storage v, Attention shape, boolean[] keyMask) {
        return ReferenceKernels.attention(this, q, k, v, shape, keyMask);
    }

    /** The gradients {dq, dk, dv} of {@link #attention} from its inputs, its probabilities and dL/dout. */
    default Storage[] attentionBackward(Storage q, Storage k, Storage v, Storage probabilities, Storage gradOut,
                                        Attention shape) {
        return ReferenceKernels.attentionBackward(this, q, k, v, probabilities, gradOut, shape);
    }

    /**
     * log softmax of each row of logits [rows, vocab] read at the row's target, fused: the
     * log-probabilities of the tokens, 0 where the target is negative (ignored). Returns {logps
     * [rows], logSumExp [rows] (float64, for the backward)}.
     */
    default Storage[] tokenLogProbs(Storage logits, int vocab, int[] targets) {
        return ReferenceKernels.tokenLogProbs(this, logits, vocab, targets);
    }

    /** dL/dlogits of {@link #tokenLogProbs}: g_r·(onehot(target_r) − softmax_r), 0 on ignored rows. */
    default Storage tokenLogProbsBackward(Storage logits, Storage logSumExp, int[] targets, Storage gradLogps,
                                          int vocab) {
        return ReferenceKernels.tokenLogProbsBackward(this, logits, logSumExp, targets, gradLogps, vocab);
    }

    /**
     * x of {@code shape} with its axes reordered: result axis i is x's axis axes[i], as
     * {@code torch.permute(...).contiguous()}. This default is a {@link #gather}.
     */
    default Storage permute(Storage x, int[] shape, int[] axes) {
        return gather(x, Shapes.permutation(shape, axes));
    }

    /**
     * The parts laid side by side along one axis: each part is [outer, lengths[p], inner] and the
     * result [outer, Σ lengths, inner].
     */
    default Storage concat(Storage[] parts, int[] lengths, int outer, int inner) {
        return ReferenceKernels.concat(this, parts, lengths, outer, inner);
    }

    /** Whether every element is finite. */
    boolean allFinite(Storage x);

    // In-place kernels, used by optimizers and gradient accumulation; they mirror PyTorch's.

    /** y ← y + alpha·x. */
    void addInPlace(Storage y, Storage x, double alpha);

    /** y ← alpha·y. */
    void scaleInPlace(Storage y, double alpha);

    /** y ← y + value·a·b. */
    void addcmulInPlace(Storage y, Storage a, Storage b, double value);

    /** y ← y + value·a / (sqrt(b)·scale + eps): Adam's update in one call. */
    void addcdivSqrtInPlace(Storage y, Storage a, Storage b, double scale, double eps, double value);

    /** dst ← src. */
    void copyInPlace(Storage dst, Storage src);

    /**
     * One Adam or AdamW update of a parameter p from its gradient g, in place on p and its moments m
     * and v (g is left alone), as {@code torch.optim.Adam}'s single-tensor step: see {@link AdamStep}.
     * This default composes the in-place kernels above; a backend may fuse them into one pass but
     * must give the same values.
     */
    default void adamStepInPlace(Storage p, Storage g, Storage m, Storage v, AdamStep step) {
        if (step.shrink() != 1) {
            scaleInPlace(p, step.shrink());
        }
        Storage grad = g;
        if (step.l2() != 0) {
            grad = full(p.size(), 0, p.dtype());
            copyInPlace(grad, g);
            addInPlace(grad, p, step.l2());
        }
        scaleInPlace(m, step.beta1());
        addInPlace(m, grad, 1 - step.beta1());
        scaleInPlace(v, step.beta2());
        addcmulInPlace(v, grad, grad, 1 - step.beta2());
        addcdivSqrtInPlace(p, m, v, step.denominatorScale(), step.eps(), step.stepSize());
    }
}
