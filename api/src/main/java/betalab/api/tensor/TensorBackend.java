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

    /** op(a) · op(b) for row-major matrices, op being an optional transpose; a is m×k after op, b is k×n. */
    Storage matmul(Storage a, boolean transposeA, Storage b, boolean transposeB, int m, int k, int n);

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
}
