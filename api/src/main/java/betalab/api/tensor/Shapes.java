package betalab.api.tensor;

import java.util.Arrays;

/** Shape arithmetic shared by tensors and backends: sizes, strides and NumPy broadcasting. */
public final class Shapes {
    private Shapes() {
    }

    public static int size(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** The shape both operands broadcast to, or an error naming them. */
    public static int[] broadcast(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = dimFromEnd(a, rank - 1 - i);
            int db = dimFromEnd(b, rank - 1 - i);
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " do not broadcast");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /**
     * Strides of {@code shape} laid against {@code outShape}: a broadcast (size-1 or missing)
     * dimension gets stride 0, so one index walk serves both.
     */
    public static int[] broadcastStrides(int[] shape, int[] outShape) {
        int rank = outShape.length;
        int[] strides = new int[rank];
        int stride = 1;
        for (int i = rank - 1; i >= 0; i--) {
            int d = dimFromEnd(shape, rank - 1 - i);
            strides[i] = d == 1 ? 0 : stride;
            stride *= d;
        }
        return strides;
    }

    /** The shape with one axis removed. */
    public static int[] without(int[] shape, int axis) {
        int[] out = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i != axis) {
                out[j++] = shape[i];
            }
        }
        return out;
    }

    /** The shape with one axis set to 1 (a reduction with keep-dims). */
    public static int[] keep(int[] shape, int axis) {
        int[] out = shape.clone();
        out[axis] = 1;
        return out;
    }

    /** Resolves a possibly negative axis against a rank, or fails naming both. */
    public static int axis(int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException("axis " + axis + " out of range for rank " + rank);
        }
        return a;
    }

    private static int dimFromEnd(int[] shape, int fromEnd) {
        int i = shape.length - 1 - fromEnd;
        return i >= 0 ? shape[i] : 1;
    }

    /** For each flat element of x of {@code shape} permuted by {@code axes}, the flat index it comes from. */
    public static int[] permutation(int[] shape, int[] axes) {
        int rank = shape.length;
        int[] strides = new int[rank];
        for (int d = rank - 1, stride = 1; d >= 0; d--) {
            strides[d] = stride;
            stride *= shape[d];
        }
        int[] out = new int[rank];
        int[] from = new int[rank];
        for (int i = 0; i < rank; i++) {
            out[i] = shape[axes[i]];
            from[i] = strides[axes[i]];
        }
        int[] index = new int[size(shape)];
        int[] at = new int[rank];
        int source = 0;
        for (int i = 0; i < index.length; i++) {
            index[i] = source;
            for (int d = rank - 1; d >= 0; d--) {
                source += from[d];
                if (++at[d] < out[d]) {
                    break;
                }
                source -= from[d] * out[d];
                at[d] = 0;
            }
        }
        return index;
    }
}
