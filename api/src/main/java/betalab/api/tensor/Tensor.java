package betalab.api.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import betalab.api.random.Rng;

/**
 * An n-dimensional array with reverse-mode automatic differentiation, in the manner of PyTorch:
 * operations record how to send gradients back, {@link #backward()} sends them, and leaves that
 * require gradients (parameters) accumulate them in {@link #grad()}.
 *
 * <p>Each operation is one batched backend call forward and one or a few backward, so a training
 * step costs a few dozen engine calls whatever the batch size. Tensors are immutable except
 * through the explicit {@code ...InPlace} methods, which optimizers use on parameters.
 */
public final class Tensor {

    /** Sends the gradient of an operation's output to its inputs; null where an input needs none. */
    @FunctionalInterface
    private interface Backward {
        Storage[] apply(Storage gradOut);
    }

    private static final ThreadLocal<Boolean> GRAD_ENABLED = ThreadLocal.withInitial(() -> Boolean.TRUE);

    private final Storage data;
    private final int[] shape;
    private final boolean requiresGrad;
    private final Tensor[] parents;
    private final Backward backward;
    private Storage grad;

    private Tensor(Storage data, int[] shape, boolean requiresGrad, Tensor[] parents, Backward backward) {
        if (data.size() != Shapes.size(shape)) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not hold "
                    + data.size() + " elements");
        }
        this.data = data;
        this.shape = shape;
        this.requiresGrad = requiresGrad;
        this.parents = parents;
        this.backward = backward;
    }

    // ---------------------------------------------------------------- creation

    /** A float32 tensor on the current backend. */
    public static Tensor of(double[] values, int... shape) {
        return of(DType.FLOAT32, values, shape);
    }

    public static Tensor of(DType dtype, double[] values, int... shape) {
        return wrap(Backends.current().of(values, dtype), shape);
    }

    /** A float32 vector. */
    public static Tensor vector(double... values) {
        return of(values, values.length);
    }

    public static Tensor scalar(double value) {
        return of(new double[] {value});
    }

    public static Tensor full(DType dtype, double value, int... shape) {
        return wrap(Backends.current().full(Shapes.size(shape), value, dtype), shape);
    }

    public static Tensor zeros(DType dtype, int... shape) {
        return full(dtype, 0.0, shape);
    }

    /** A constant (no gradient) over existing storage. */
    public static Tensor wrap(Storage data, int... shape) {
        return new Tensor(data, shape.clone(), false, null, null);
    }

    /** A leaf sharing this tensor's storage that accumulates gradients: a trainable parameter. */
    public Tensor asParameter() {
        return new Tensor(data, shape, true, null, null);
    }

    /** The same values cut off from the graph: no gradient flows through the result. */
    public Tensor detach() {
        return requiresGrad ? wrap(data, shape) : this;
    }

    public Tensor zerosLike() {
        return wrap(backend().full(size(), 0.0, dtype()), shape);
    }

    public Tensor to(DType dtype) {
        if (dtype == dtype()) {
            return this;
        }
        return result(backend().cast(data, dtype), shape, g -> new Storage[] {backend().cast(g, dtype())}, this);
    }

    // ---------------------------------------------------------------- gradient mode

    /** Runs code without recording the graph, as under {@code torch.no_grad()}. */
    public static NoGrad noGrad() {
        Boolean before = GRAD_ENABLED.get();
        GRAD_ENABLED.set(Boolean.FALSE);
        return () -> GRAD_ENABLED.set(before);
    }

    /** Scope of {@link #noGrad()}; closing it restores the previous mode. */
    public interface NoGrad extends AutoCloseable {
        @Override
        void close();
    }

    // ---------------------------------------------------------------- accessors

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[Shapes.axis(axis, shape.length)];
    }

    public int size() {
        return data.size();
    }

    public DType dtype() {
        return data.dtype();
    }

    public TensorBackend backend() {
        return data.backend();
    }

    public Storage storage() {
        return data;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Whether this tensor was made directly rather than computed by a recorded operation. */
    public boolean isLeaf() {
        return backward == null;
    }

    public double[] toDoubleArray() {
        return backend().toDoubleArray(data);
    }

    /** The value of a one-element tensor. */
    public double item() {
        if (size() != 1) {
            throw new IllegalStateException("item() needs one element, shape is " + Arrays.toString(shape));
        }
        return toDoubleArray()[0];
    }

    public boolean allFinite() {
        return backend().allFinite(data);
    }

    /** The accumulated gradient of a leaf, or null before any backward pass reached it. */
    public Tensor grad() {
        return grad == null ? null : wrap(grad, shape);
    }

    public void zeroGrad() {
        grad = null;
    }

    @Override
    public String toString() {
        double[] v = toDoubleArray();
        String values = v.length <= 8 ? Arrays.toString(v) : Arrays.toString(Arrays.copyOf(v, 8)) + "...";
        return "Tensor" + Arrays.toString(shape) + " " + dtype() + " " + values;
    }

    // ---------------------------------------------------------------- element-wise

    public Tensor neg() {
        return unary(UnaryOp.NEG);
    }

    public Tensor exp() {
        return unary(UnaryOp.EXP);
    }

    public Tensor log() {
        return unary(UnaryOp.LOG);
    }

    public Tensor sqrt() {
        return unary(UnaryOp.SQRT);
    }

    public Tensor abs() {
        return unary(UnaryOp.ABS);
    }

    public Tensor square() {
        return unary(UnaryOp.SQUARE);
    }

    public Tensor relu() {
        return unary(UnaryOp.RELU);
    }

    public Tensor sigmoid() {
        return unary(UnaryOp.SIGMOID);
    }

    public Tensor tanh() {
        return unary(UnaryOp.TANH);
    }

    public Tensor softplus() {
        return unary(UnaryOp.SOFTPLUS);
    }

    public Tensor logSigmoid() {
        return unary(UnaryOp.LOG_SIGMOID);
    }

    /** x·σ(x), SiLU (swish). */
    public Tensor silu() {
        return unary(UnaryOp.SILU);
    }

    /** GELU in its tanh form, as PyTorch's {@code gelu(approximate="tanh")} (GPT-2's gelu_new). */
    public Tensor geluTanh() {
        return unary(UnaryOp.GELU_TANH);
    }

    public Tensor unary(UnaryOp op) {
        Storage y = backend().unary(op, data);
        return result(y, shape, g -> new Storage[] {backend().unaryBackward(op, data, y, g)}, this);
    }

    public Tensor add(Tensor other) {
        return binary(BinaryOp.ADD, other);
    }

    public Tensor sub(Tensor other) {
        return binary(BinaryOp.SUB, other);
    }

    public Tensor mul(Tensor other) {
        return binary(BinaryOp.MUL, other);
    }

    public Tensor div(Tensor other) {
        return binary(BinaryOp.DIV, other);
    }

    public Tensor add(double value) {
        return add(constant(value));
    }

    public Tensor sub(double value) {
        return sub(constant(value));
    }

    public Tensor mul(double value) {
        return mul(constant(value));
    }

    public Tensor div(double value) {
        return div(constant(value));
    }

    /** 1 where this &gt; other, else 0; carries no gradient. */
    public Tensor greater(Tensor other) {
        int[] out = Shapes.broadcast(shape, other.shape);
        return wrap(backend().binary(BinaryOp.GREATER, data, shape, other.data, other.shape, out), out);
    }

    public Tensor binary(BinaryOp op, Tensor other) {
        TensorBackend be = sameBackend(other);
        Storage a = data;
        Storage b = other.data;
        int[] as = shape;
        int[] bs = other.shape;
        int[] out = Shapes.broadcast(as, bs);
        Storage y = be.binary(op, a, as, b, bs, out);
        Backward back = switch (op) {
            case ADD -> g -> new Storage[] {be.sumTo(g, out, as), be.sumTo(g, out, bs)};
            case SUB -> g -> new Storage[] {be.sumTo(g, out, as),
                    other.requiresGrad ? be.sumTo(be.unary(UnaryOp.NEG, g), out, bs) : null};
            case MUL -> g -> new Storage[] {
                    requiresGrad ? be.sumTo(be.binary(BinaryOp.MUL, g, out, b, bs, out), out, as) : null,
                    other.requiresGrad ? be.sumTo(be.binary(BinaryOp.MUL, g, out, a, as, out), out, bs) : null};
            case DIV -> g -> new Storage[] {
                    requiresGrad ? be.sumTo(be.binary(BinaryOp.DIV, g, out, b, bs, out), out, as) : null,
                    other.requiresGrad ? be.sumTo(be.unary(UnaryOp.NEG, be.binary(BinaryOp.DIV,
                            be.binary(BinaryOp.MUL, g, out, y, out, out), out, b, bs, out)), out, bs) : null};
            case GREATER -> throw new IllegalArgumentException("GREATER has no gradient; use greater()");
        };
        return result(y, out, back, this, other);
    }

    // ---------------------------------------------------------------- linear algebra

    /** Matrix product of two rank-2 tensors. */
    public Tensor matmul(Tensor other) {
        return matmul(other, false);
    }

    /** this · otherᵀ, the form of a linear layer whose weight is stored out×in as in PyTorch. */
    public Tensor matmulTransposed(Tensor other) {
        return matmul(other, true);
    }

    private Tensor matmul(Tensor other, boolean transposeOther) {
        TensorBackend be = sameBackend(other);
        if (rank() != 2 || other.rank() != 2) {
            throw new IllegalArgumentException("matmul needs rank-2 tensors, got " + Arrays.toString(shape)
                    + " and " + Arrays.toString(other.shape));
        }
        int m = shape[0];
        int k = shape[1];
        int n = transposeOther ? other.shape[0] : other.shape[1];
        int otherK = transposeOther ? other.shape[1] : other.shape[0];
        if (k != otherK) {
            throw new IllegalArgumentException("matmul inner sizes differ: " + Arrays.toString(shape) + " and "
                    + Arrays.toString(other.shape) + (transposeOther ? " (transposed)" : ""));
        }
        Storage a = data;
        Storage b = other.data;
        Storage y = be.matmul(a, false, b, transposeOther, m, k, n);
        Backward back = g -> new Storage[] {
                // dA = G · op(B)ᵀ ; dB = Aᵀ · G, or (Aᵀ · G)ᵀ = Gᵀ · A when B was transposed
                requiresGrad ? be.matmul(g, false, b, !transposeOther, m, n, k) : null,
                other.requiresGrad ? (transposeOther ? be.matmul(g, true, a, false, n, m, k)
                        : be.matmul(a, true, g, false, k, m, n)) : null};
        return result(y, new int[] {m, n}, back, this, other);
    }

    /** Batched matrix product of two rank-3 tensors: [b, m, k] · [b, k, n] gives [b, m, n], as {@code torch.bmm}. */
    public Tensor bmm(Tensor other) {
        return bmm(other, false);
    }

    /** [b, m, k] · [b, n, k]ᵀ gives [b, m, n]: each batch entry times the transpose of other's. */
    public Tensor bmmTransposed(Tensor other) {
        return bmm(other, true);
    }

    private Tensor bmm(Tensor other, boolean transposeOther) {
        TensorBackend be = sameBackend(other);
        if (rank() != 3 || other.rank() != 3 || shape[0] != other.shape[0]) {
            throw new IllegalArgumentException("bmm needs rank-3 tensors with the same batch size, got "
                    + Arrays.toString(shape) + " and " + Arrays.toString(other.shape));
        }
        int batch = shape[0];
        int m = shape[1];
        int k = shape[2];
        int n = transposeOther ? other.shape[1] : other.shape[2];
        int otherK = transposeOther ? other.shape[2] : other.shape[1];
        if (k != otherK) {
            throw new IllegalArgumentException("bmm inner sizes differ: " + Arrays.toString(shape) + " and "
                    + Arrays.toString(other.shape) + (transposeOther ? " (transposed)" : ""));
        }
        Storage a = data;
        Storage b = other.data;
        Storage y = be.batchedMatmul(a, false, b, transposeOther, batch, m, k, n);
        // Per batch entry as for matmul: dA = G · op(B)ᵀ ; dB = Aᵀ · G, or Gᵀ · A when B was transposed.
        Backward back = g -> new Storage[] {
                requiresGrad ? be.batchedMatmul(g, false, b, !transposeOther, batch, m, n, k) : null,
                other.requiresGrad ? (transposeOther ? be.batchedMatmul(g, true, a, false, batch, n, m, k)
                        : be.batchedMatmul(a, true, g, false, batch, k, m, n)) : null};
        return result(y, new int[] {batch, m, n}, back, this, other);
    }

    /**
     * {@code indexSelect(index).bmm(other)} without making the selected copy: this is a table of
     * [rows, m, k] matrices, other is [b, k, n] with b = index.length, and entry i of the [b, m, n]
     * result is this[index[i]] · other[i] (each prompt's candidates times its representation, say).
     * Gradients add back to the table's rows read, as for indexSelect.
     */
    public Tensor indexSelectBmm(int[] index, Tensor other) {
        TensorBackend be = sameBackend(other);
        if (rank() != 3 || other.rank() != 3 || other.shape[0] != index.length) {
            throw new IllegalArgumentException("indexSelectBmm needs a rank-3 table and a rank-3 operand with one "
                    + "entry per index, got " + Arrays.toString(shape) + ", " + index.length + " indices and "
                    + Arrays.toString(other.shape));
        }
        int rows = shape[0];
        int m = shape[1];
        int k = shape[2];
        int n = other.shape[2];
        if (other.shape[1] != k) {
            throw new IllegalArgumentException("indexSelectBmm inner sizes differ: " + Arrays.toString(shape) + " and "
                    + Arrays.toString(other.shape));
        }
        for (int i : index) {
            if (i < 0 || i >= rows) {
                throw new IndexOutOfBoundsException("indexSelectBmm index " + i + " outside the " + rows + " rows of "
                        + Arrays.toString(shape));
            }
        }
        int[] entries = index.clone();
        int batch = entries.length;
        Storage a = data;
        Storage b = other.data;
        Storage y = be.batchedMatmul(a, entries, false, b, false, batch, m, k, n);
        Backward back = g -> new Storage[] {
                requiresGrad ? be.scatterAddRows(be.batchedMatmul(g, false, b, true, batch, m, n, k), m * k, entries,
                        rows) : null,
                other.requiresGrad ? be.batchedMatmul(a, entries, true, g, false, batch, k, m, n) : null};
        return result(y, new int[] {batch, m, n}, back, this, other);
    }

    // ---------------------------------------------------------------- reductions and shape

    public Tensor sum() {
        int[] scalar = new int[0];
        return result(backend().sumTo(data, shape, scalar), scalar,
                g -> new Storage[] {backend().broadcastTo(g, scalar, shape)}, this);
    }

    public Tensor mean() {
        return sum().div(size());
    }

    /** Sum over one axis, which disappears from the shape. */
    public Tensor sum(int axis) {
        int ax = Shapes.axis(axis, rank());
        int[] kept = Shapes.keep(shape, ax);
        return result(backend().sumAxis(data, shape, ax), Shapes.without(shape, ax),
                g -> new Storage[] {backend().broadcastTo(g, kept, shape)}, this);
    }

    public Tensor mean(int axis) {
        return sum(axis).div(dim(axis));
    }

    /** log Σ exp over one axis, stable for any magnitude; its gradient is the softmax. */
    public Tensor logSumExp(int axis) {
        TensorBackend be = backend();
        int ax = Shapes.axis(axis, rank());
        int[] kept = Shapes.keep(shape, ax);
        Storage y = be.logSumExpAxis(data, shape, ax);
        Backward back = g -> {
            Storage softmax = be.unary(UnaryOp.EXP, be.binary(BinaryOp.SUB, data, shape, y, kept, shape));
            return new Storage[] {be.binary(BinaryOp.MUL, softmax, shape, g, kept, shape)};
        };
        return result(y, Shapes.without(shape, ax), back, this);
    }

    /**
     * log softmax over one axis (negative counts from the end, as for {@link #logSumExp}), keeping
     * the shape: x − log Σ exp x along the axis. Stable and accurate for any magnitude (nothing is
     * exponentiated above 0); an entry of −∞ gives −∞, and a slice of only −∞ or holding +∞ gives NaN.
     */
    public Tensor logSoftmax(int axis) {
        TensorBackend be = backend();
        int ax = Shapes.axis(axis, rank());
        // One kernel each way: the shift by the maximum and the sum of exponentials stay in double,
        // so no digits are lost at any magnitude and nothing is exponentiated above 0.
        Storage y = be.logSoftmaxAxis(data, shape, ax);
        return result(y, shape, g -> new Storage[] {be.logSoftmaxBackward(y, g, shape, ax)}, this);
    }

    /**
     * softmax over one axis (negative counts from the end), keeping the shape: exp x / Σ exp x along
     * the axis, so every slice along it sums to 1. It is the exp of {@link #logSoftmax}, whose values
     * are ≤ 0, so large entries cannot overflow and an entry of −∞ gets exactly 0.
     */
    public Tensor softmax(int axis) {
        return logSoftmax(axis).exp();
    }

    /**
     * The flat elements at the given positions, as a rank-1 tensor: picks one candidate per row,
     * reorders a batch, or repeats elements; gradients add back to the positions read.
     */
    public Tensor gather(int... index) {
        int n = size();
        for (int i : index) {
            if (i < 0 || i >= n) {
                throw new IndexOutOfBoundsException("gather index " + i + " outside a tensor of " + n + " elements");
            }
        }
        int[] positions = index.clone();
        return result(backend().gather(data, positions), new int[] {positions.length},
                g -> new Storage[] {backend().scatterAdd(g, positions, n)}, this);
    }

    /**
     * Slices along the first axis, as {@code torch.index_select(x, 0, index)}: row i of the result is
     * row index[i] of this tensor (an embedding lookup, a batch of a table's rows); gradients add back
     * to the rows read.
     */
    public Tensor indexSelect(int... index) {
        if (rank() == 0) {
            throw new IllegalArgumentException("indexSelect needs a tensor of rank 1 or more, got a scalar");
        }
        int rows = shape[0];
        for (int i : index) {
            if (i < 0 || i >= rows) {
                throw new IndexOutOfBoundsException("indexSelect index " + i + " outside the " + rows + " rows of "
                        + Arrays.toString(shape));
            }
        }
        int rowSize = rows == 0 ? 0 : size() / rows;
        int[] positions = index.clone();
        int[] out = shape.clone();
        out[0] = positions.length;
        return result(backend().gatherRows(data, rowSize, positions), out,
                g -> new Storage[] {backend().scatterAddRows(g, rowSize, positions, rows)}, this);
    }

    /** The axes reordered: result axis i is this tensor's axis axes[i], as {@code torch.permute} (a copy). */
    public Tensor permute(int... axes) {
        int[] order = axes.clone();
        boolean[] seen = new boolean[rank()];
        if (order.length != rank()) {
            throw new IllegalArgumentException("permute of a rank-" + rank() + " tensor needs " + rank() + " axes, got "
                    + Arrays.toString(axes));
        }
        int[] inverse = new int[order.length];
        int[] out = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            int a = order[i];
            if (a < 0 || a >= rank() || seen[a]) {
                throw new IllegalArgumentException("permute axes " + Arrays.toString(axes) + " are not a permutation of 0…"
                        + (rank() - 1));
            }
            seen[a] = true;
            inverse[a] = i;
            out[i] = shape[a];
        }
        TensorBackend be = backend();
        return result(be.permute(data, shape, order), out, g -> new Storage[] {be.permute(g, out, inverse)}, this);
    }

    /** Two axes swapped (negative counts from the end), as {@code torch.transpose} (a copy). */
    public Tensor transpose(int axis0, int axis1) {
        int[] axes = new int[rank()];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i;
        }
        int a = Shapes.axis(axis0, rank());
        int b = Shapes.axis(axis1, rank());
        axes[a] = b;
        axes[b] = a;
        return permute(axes);
    }

    /** Entries from ≤ i &lt; to along one axis (negative counts from the end), as {@code torch.narrow} (a copy). */
    public Tensor slice(int axis, int from, int to) {
        int ax = Shapes.axis(axis, rank());
        if (from < 0 || to < from || to > shape[ax]) {
            throw new IllegalArgumentException("slice " + from + "…" + to + " outside axis " + ax + " of "
                    + Arrays.toString(shape));
        }
        int inner = Shapes.size(Arrays.copyOfRange(shape, ax + 1, shape.length));
        int outer = Shapes.size(Arrays.copyOfRange(shape, 0, ax));
        int length = to - from;
        int[] index = new int[outer * length * inner];
        for (int o = 0, i = 0; o < outer; o++) {
            int base = (o * shape[ax] + from) * inner;
            for (int j = 0; j < length * inner; j++) {
                index[i++] = base + j;
            }
        }
        int[] out = shape.clone();
        out[ax] = length;
        int n = size();
        return result(backend().gather(data, index), out, g -> new Storage[] {backend().scatterAdd(g, index, n)}, this);
    }

    /** The tensors side by side along one axis (negative counts from the end), as {@code torch.cat}; other axes must agree. */
    public static Tensor concat(int axis, Tensor... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("concat needs at least one tensor");
        }
        Tensor first = parts[0];
        int ax = Shapes.axis(axis, first.rank());
        int[] lengths = new int[parts.length];
        Storage[] storages = new Storage[parts.length];
        int[] out = first.shape.clone();
        out[ax] = 0;
        for (int p = 0; p < parts.length; p++) {
            Tensor t = parts[p];
            first.sameBackend(t);
            int[] expect = out.clone();
            expect[ax] = t.rank() == first.rank() ? t.shape[ax] : -1;
            if (!Arrays.equals(expect, t.shape)) {
                throw new IllegalArgumentException("concat along axis " + ax + " of " + Arrays.toString(first.shape)
                        + " and " + Arrays.toString(t.shape) + ": other axes differ");
            }
            lengths[p] = t.shape[ax];
            storages[p] = t.data;
            out[ax] += lengths[p];
        }
        int inner = Shapes.size(Arrays.copyOfRange(out, ax + 1, out.length));
        int outer = Shapes.size(Arrays.copyOfRange(out, 0, ax));
        int[] total = out;
        Backward back = g -> {
            Storage[] grads = new Storage[parts.length];
            Tensor whole = wrap(g, total);
            int from = 0;
            for (int p = 0; p < parts.length; p++) {
                if (parts[p].requiresGrad) {
                    try (NoGrad noGrad = noGrad()) {
                        grads[p] = whole.slice(ax, from, from + lengths[p]).data;
                    }
                }
                from += lengths[p];
            }
            return grads;
        };
        return result(first.backend().concat(storages, lengths, outer, inner), out, back, parts);
    }

    /**
     * Dropout: each element kept with probability 1 − p and then scaled by 1/(1 − p), else 0, as
     * {@code torch.nn.functional.dropout} in training; the keep mask comes from {@code rng} (one
     * uniform draw per element, kept where it is ≥ p), so a run's generator decides it.
     */
    public Tensor dropout(double p, Rng rng) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        if (p == 0) {
            return this;
        }
        double[] mask = rng.uniform(size(), 0, 1);
        for (int i = 0; i < mask.length; i++) {
            mask[i] = mask[i] >= p ? 1 / (1 - p) : 0;
        }
        return mul(of(dtype(), mask, shape));
    }

    // ---------------------------------------------------------------- transformer operations

    /** RMSNorm over the last axis with a weight of its size, as transformers' LlamaRMSNorm; one kernel each way. */
    public Tensor rmsNorm(Tensor weight, double eps) {
        TensorBackend be = sameBackend(weight);
        int width = lastAxisSize(weight, "rmsNorm");
        Storage x = data;
        Storage w = weight.data;
        Storage[] y = be.rmsNorm(x, w, width, eps);
        Storage rstd = y[1];
        Backward back = g -> be.rmsNormBackward(x, w, rstd, g, width);
        return result(y[0], shape, back, this, weight);
    }

    /** LayerNorm over the last axis with weight and bias of its size, as {@code torch.nn.LayerNorm}; one kernel each way. */
    public Tensor layerNorm(Tensor weight, Tensor bias, double eps) {
        TensorBackend be = sameBackend(weight);
        sameBackend(bias);
        int width = lastAxisSize(weight, "layerNorm");
        if (bias.rank() != 1 || bias.shape[0] != width) {
            throw new IllegalArgumentException("layerNorm bias " + Arrays.toString(bias.shape) + " must be [" + width + "]");
        }
        Storage x = data;
        Storage w = weight.data;
        Storage[] y = be.layerNorm(x, w, bias.data, width, eps);
        Storage stats = y[1];
        Backward back = g -> be.layerNormBackward(x, w, stats, g, width);
        return result(y[0], shape, back, this, weight, bias);
    }

    private int lastAxisSize(Tensor weight, String op) {
        int width = rank() == 0 ? 0 : shape[rank() - 1];
        if (weight.rank() != 1 || weight.shape[0] != width || width == 0) {
            throw new IllegalArgumentException(op + " of " + Arrays.toString(shape) + " needs a weight of the last axis's "
                    + "size, got " + Arrays.toString(weight.shape));
        }
        return width;
    }

    /**
     * Rotary position embedding (transformers' rotate-half): this is [rows, heads·headDim] and row r
     * sits at position positions[r]; cos and sin are tables [max positions, headDim/2] of cos and sin
     * of position·θ_i, constants (no gradient reaches them). One kernel each way.
     */
    public Tensor rope(Tensor cos, Tensor sin, int[] positions, int headDim) {
        TensorBackend be = sameBackend(cos);
        sameBackend(sin);
        int half = headDim / 2;
        if (rank() != 2 || headDim % 2 != 0 || shape[1] % headDim != 0 || shape[0] != positions.length
                || cos.rank() != 2 || cos.shape[1] != half || !Arrays.equals(cos.shape, sin.shape)) {
            throw new IllegalArgumentException("rope needs x [rows, heads·" + headDim + "] with one position per row and "
                    + "tables [positions, " + half + "], got " + Arrays.toString(shape) + ", " + positions.length
                    + " positions, " + Arrays.toString(cos.shape) + " and " + Arrays.toString(sin.shape));
        }
        for (int p : positions) {
            if (p < 0 || p >= cos.shape[0]) {
                throw new IndexOutOfBoundsException("rope position " + p + " outside the table of " + cos.shape[0]);
            }
        }
        int[] at = positions.clone();
        Storage c = cos.data;
        Storage s = sin.data;
        return result(be.rope(data, c, s, at, headDim, false), shape,
                g -> new Storage[] {be.rope(g, c, s, at, headDim, true)}, this);
    }

    /**
     * Causal self-attention, fused (see {@link Attention} for the layout): q [batch·queries,
     * heads·headDim], k and v [batch·keys, kvHeads·headDim]; {@code keyMask} (batch·keys entries, or
     * null) leaves out the keys that are false, such as padding. One kernel forward, one backward.
     */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, Attention shape, boolean[] keyMask) {
        TensorBackend be = q.sameBackend(k);
        q.sameBackend(v);
        int[] qs = {shape.batch() * shape.queries(), shape.queryWidth()};
        int[] ks = {shape.batch() * shape.keys(), shape.keyWidth()};
        if (!Arrays.equals(q.shape, qs) || !Arrays.equals(k.shape, ks) || !Arrays.equals(v.shape, ks)
                || (keyMask != null && keyMask.length != shape.batch() * shape.keys())) {
            throw new IllegalArgumentException("attention " + shape + " needs q " + Arrays.toString(qs) + ", k and v "
                    + Arrays.toString(ks) + " and a key mask of " + ks[0] + ", got " + Arrays.toString(q.shape) + ", "
                    + Arrays.toString(k.shape) + ", " + Arrays.toString(v.shape)
                    + (keyMask == null ? "" : " and " + keyMask.length));
        }
        boolean[] mask = keyMask == null ? null : keyMask.clone();
        Storage[] y = be.attention(q.data, k.data, v.data, shape, mask);
        Storage probs = y[1];
        Backward back = g -> be.attentionBackward(q.data, k.data, v.data, probs, g, shape);
        return result(y[0], qs, back, q, k, v);
    }

    /**
     * This [rows, vocab] of logits read as next-token distributions: log softmax of row r at
     * targets[r], or 0 where targets[r] is negative (ignored, as PyTorch's ignore_index); [rows].
     * Log-softmax and the pick are one kernel, and so is the backward.
     */
    public Tensor tokenLogProbs(int... targets) {
        if (rank() != 2 || targets.length != shape[0]) {
            throw new IllegalArgumentException("tokenLogProbs needs logits [rows, vocab] and a target per row, got "
                    + Arrays.toString(shape) + " and " + targets.length + " targets");
        }
        int vocab = shape[1];
        for (int t : targets) {
            if (t >= vocab) {
                throw new IndexOutOfBoundsException("target " + t + " outside the vocabulary of " + vocab);
            }
        }
        TensorBackend be = backend();
        int[] picked = targets.clone();
        Storage x = data;
        Storage[] y = be.tokenLogProbs(x, vocab, picked);
        Storage logSumExp = y[1];
        return result(y[0], new int[] {shape[0]},
                g -> new Storage[] {be.tokenLogProbsBackward(x, logSumExp, picked, g, vocab)}, this);
    }

    /** Mean cross-entropy of these logits [rows, vocab] against the targets, negative ones ignored, as PyTorch's. */
    public Tensor crossEntropy(int... targets) {
        int counted = 0;
        for (int t : targets) {
            counted += t >= 0 ? 1 : 0;
        }
        return tokenLogProbs(targets).sum().neg().div(counted);
    }

    /** Positions that sort this tensor's flat elements ascending (ties keep their order). */
    public int[] argsort() {
        double[] v = toDoubleArray();
        return java.util.stream.IntStream.range(0, v.length).boxed()
                .sorted(java.util.Comparator.comparingDouble(i -> v[i])).mapToInt(Integer::intValue).toArray();
    }

    /** The same elements in another shape (row-major order is kept). */
    public Tensor reshape(int... newShape) {
        if (Shapes.size(newShape) != size()) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to "
                    + Arrays.toString(newShape));
        }
        return result(data, newShape.clone(), g -> new Storage[] {g}, this);
    }

    /** A rank-1 view of all elements. */
    public Tensor flatten() {
        return reshape(size());
    }

    // ---------------------------------------------------------------- in place (parameters only)

    /** this ← this + alpha·x. */
    public Tensor addInPlace(Tensor x, double alpha) {
        checkInPlace(x);
        backend().addInPlace(data, x.data, alpha);
        return this;
    }

    /** this ← alpha·this. */
    public Tensor scaleInPlace(double alpha) {
        checkInPlace(this);
        backend().scaleInPlace(data, alpha);
        return this;
    }

    /** this ← this + value·a·b. */
    public Tensor addcmulInPlace(Tensor a, Tensor b, double value) {
        checkInPlace(a);
        checkInPlace(b);
        backend().addcmulInPlace(data, a.data, b.data, value);
        return this;
    }

    /** this ← this + value·a / (sqrt(b)·scale + eps). */
    public Tensor addcdivSqrtInPlace(Tensor a, Tensor b, double scale, double eps, double value) {
        checkInPlace(a);
        checkInPlace(b);
        backend().addcdivSqrtInPlace(data, a.data, b.data, scale, eps, value);
        return this;
    }

    /** One Adam or AdamW update of this parameter from its gradient, in place on it and its moments m and v. */
    public Tensor adamStepInPlace(Tensor grad, Tensor m, Tensor v, AdamStep step) {
        checkInPlace(grad);
        checkInPlace(m);
        checkInPlace(v);
        backend().adamStepInPlace(data, grad.data, m.data, v.data, step);
        return this;
    }

    /** this ← src. */
    public Tensor copyInPlace(Tensor src) {
        checkInPlace(src);
        backend().copyInPlace(data, src.data);
        return this;
    }

    /** this ← values, given flat in row-major order (restoring a checkpoint). */
    public Tensor copyInPlace(double[] values) {
        return copyInPlace(wrap(backend().of(values, dtype()), values.length));
    }

    private void checkInPlace(Tensor operand) {
        if (backward != null) {
            throw new IllegalStateException("in-place update of a tensor computed by the graph");
        }
        if (operand.size() != size()) {
            throw new IllegalArgumentException("in-place operand has " + operand.size() + " elements, target "
                    + size());
        }
        sameBackend(operand);
    }

    // ---------------------------------------------------------------- backward

    /** Back-propagates from a one-element tensor (a loss). */
    public void backward() {
        if (size() != 1) {
            throw new IllegalStateException("backward() without a gradient needs one element, shape is "
                    + Arrays.toString(shape));
        }
        backward(wrap(backend().full(1, 1.0, dtype()), shape));
    }

    /** Back-propagates a given gradient of this tensor to every leaf that requires one. */
    public void backward(Tensor gradient) {
        if (!requiresGrad) {
            throw new IllegalStateException("backward() on a tensor that does not require gradients");
        }
        Map<Tensor, Storage> pending = new IdentityHashMap<>();
        pending.put(this, gradient.data);
        for (Tensor node : reverseTopologicalOrder()) {
            Storage g = pending.remove(node);
            if (g == null) {
                continue;
            }
            if (node.backward == null) {
                // A leaf owns its gradient, in its own precision, as in PyTorch.
                Storage own = node.backend().cast(g, node.dtype());
                node.grad = node.grad == null ? own : accumulate(node.grad, own, node.shape);
                continue;
            }
            Storage[] toParents = node.backward.apply(g);
            for (int i = 0; i < node.parents.length; i++) {
                Tensor p = node.parents[i];
                if (p.requiresGrad && toParents[i] != null) {
                    pending.merge(p, toParents[i], (x, y) -> accumulate(x, y, p.shape));
                }
            }
        }
    }

    private static Storage accumulate(Storage x, Storage y, int[] shape) {
        // Out of place: gradient storages may be shared between branches.
        return x.backend().binary(BinaryOp.ADD, x, shape, y, shape, shape);
    }

    private List<Tensor> reverseTopologicalOrder() {
        List<Tensor> postOrder = new ArrayList<>();
        Map<Tensor, Boolean> seen = new IdentityHashMap<>();
        Deque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {this, 0});
        seen.put(this, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            int next = (Integer) frame[1];
            if (t.parents != null && next < t.parents.length) {
                frame[1] = next + 1;
                Tensor p = t.parents[next];
                if (p.requiresGrad && seen.put(p, Boolean.TRUE) == null) {
                    stack.push(new Object[] {p, 0});
                }
            } else {
                stack.pop();
                postOrder.add(t);
            }
        }
        List<Tensor> order = new ArrayList<>(postOrder.size());
        for (int i = postOrder.size() - 1; i >= 0; i--) {
            order.add(postOrder.get(i));
        }
        return order;
    }

    // ---------------------------------------------------------------- helpers

    private Tensor constant(double value) {
        return wrap(backend().full(1, value, dtype()), new int[0]);
    }

    private TensorBackend sameBackend(Tensor other) {
        if (other.backend() != backend()) {
            throw new IllegalArgumentException("tensors on different backends: " + backend().name() + " and "
                    + other.backend().name());
        }
        return backend();
    }

    private static Tensor result(Storage y, int[] shape, Backward backward, Tensor... inputs) {
        boolean track = false;
        if (GRAD_ENABLED.get()) {
            for (Tensor t : inputs) {
                track |= t.requiresGrad;
            }
        }
        return track ? new Tensor(y, shape, true, inputs, backward) : new Tensor(y, shape, false, null, null);
    }
}
