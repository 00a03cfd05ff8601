package betalab.api.tensor.jvm;

import betalab.api.tensor.BinaryOp;
import betalab.api.tensor.DType;
import betalab.api.tensor.Shapes;
import betalab.api.tensor.Storage;
import betalab.api.tensor.TensorBackend;
import betalab.api.tensor.UnaryOp;

/**
 * The pure-JVM backend: plain loops over {@code double[]}. For the small shapes of preference
 * experiments a loop costs nanoseconds where a native call costs microseconds, so this is the
 * default engine; float32 tensors are rounded to float precision after every kernel.
 */
public final class JvmBackend implements TensorBackend {

    @Override
    public String name() {
        return "jvm";
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public Storage of(double[] values, DType dtype) {
        return JvmStorage.rounded(this, values.clone(), dtype);
    }

    @Override
    public Storage full(int size, double value, DType dtype) {
        double[] d = new double[size];
        java.util.Arrays.fill(d, value);
        return JvmStorage.rounded(this, d, dtype);
    }

    @Override
    public double[] toDoubleArray(Storage storage) {
        return data(storage).clone();
    }

    @Override
    public Storage cast(Storage storage, DType dtype) {
        return JvmStorage.rounded(this, data(storage).clone(), dtype);
    }

    @Override
    public Storage unary(UnaryOp op, Storage x) {
        double[] in = data(x);
        double[] out = new double[in.length];
        for (int i = 0; i < in.length; i++) {
            out[i] = apply(op, in[i]);
        }
        return JvmStorage.rounded(this, out, x.dtype());
    }

    private static double apply(UnaryOp op, double v) {
        return switch (op) {
            case NEG -> -v;
            case EXP -> Math.exp(v);
            case LOG -> Math.log(v);
            case SQRT -> Math.sqrt(v);
            case ABS -> Math.abs(v);
            case SQUARE -> v * v;
            case RELU -> v > 0 ? v : 0.0;
            case SIGMOID -> sigmoid(v);
            case TANH -> Math.tanh(v);
            case SOFTPLUS -> softplus(v);
            case LOG_SIGMOID -> -softplus(-v);
        };
    }

    @Override
    public Storage unaryBackward(UnaryOp op, Storage x, Storage y, Storage gradY) {
        double[] xs = data(x);
        double[] ys = data(y);
        double[] g = data(gradY);
        double[] out = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
            out[i] = g[i] * derivative(op, xs[i], ys[i]);
        }
        return JvmStorage.rounded(this, out, DType.widest(x.dtype(), gradY.dtype()));
    }

    private static double derivative(UnaryOp op, double x, double y) {
        return switch (op) {
            case NEG -> -1.0;
            case EXP -> y;
            case LOG -> 1.0 / x;
            case SQRT -> 0.5 / y;
            case ABS -> Math.signum(x);
            case SQUARE -> 2.0 * x;
            case RELU -> x > 0 ? 1.0 : 0.0;
            case SIGMOID -> y * (1.0 - y);
            case TANH -> 1.0 - y * y;
            case SOFTPLUS -> sigmoid(x);
            case LOG_SIGMOID -> sigmoid(-x);
        };
    }

    static double sigmoid(double v) {
        if (v >= 0) {
            return 1.0 / (1.0 + Math.exp(-v));
        }
        double e = Math.exp(v);
        return e / (1.0 + e);
    }

    static double softplus(double v) {
        return Math.max(v, 0.0) + Math.log1p(Math.exp(-Math.abs(v)));
    }

    @Override
    public Storage binary(BinaryOp op, Storage a, int[] aShape, Storage b, int[] bShape, int[] outShape) {
        double[] x = data(a);
        double[] y = data(b);
        int n = Shapes.size(outShape);
        double[] out = new double[n];
        if (x.length == n && y.length == n) {
            for (int i = 0; i < n; i++) {
                out[i] = apply(op, x[i], y[i]);
            }
        } else if (x.length == n && y.length == 1) {
            double s = y[0];
            for (int i = 0; i < n; i++) {
                out[i] = apply(op, x[i], s);
            }
        } else if (x.length == 1 && y.length == n) {
            double s = x[0];
            for (int i = 0; i < n; i++) {
                out[i] = apply(op, s, y[i]);
            }
        } else {
            int[] as = Shapes.broadcastStrides(aShape, outShape);
            int[] bs = Shapes.broadcastStrides(bShape, outShape);
            int[] index = new int[outShape.length];
            int ia = 0;
            int ib = 0;
            for (int i = 0; i < n; i++) {
                out[i] = apply(op, x[ia], y[ib]);
                for (int d = outShape.length - 1; d >= 0; d--) {
                    ia += as[d];
                    ib += bs[d];
                    if (++index[d] < outShape[d]) {
                        break;
                    }
                    ia -= as[d] * outShape[d];
                    ib -= bs[d] * outShape[d];
                    index[d] = 0;
                }
            }
        }
        return JvmStorage.rounded(this, out, DType.widest(a.dtype(), b.dtype()));
    }

    private static double apply(BinaryOp op, double x, double y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            case GREATER -> x > y ? 1.0 : 0.0;
        };
    }

    @Override
    public Storage sumTo(Storage x, int[] shape, int[] targetShape) {
        double[] in = data(x);
        int n = Shapes.size(targetShape);
        if (n == in.length) {
            return x;
        }
        double[] out = new double[n];
        if (n == 1) {
            double s = 0;
            for (double v : in) {
                s += v;
            }
            out[0] = s;
        } else {
            // Walk the source; the target index moves only along dimensions the target keeps.
            int[] ts = Shapes.broadcastStrides(targetShape, shape);
            int[] index = new int[shape.length];
            int it = 0;
            for (double v : in) {
                out[it] += v;
                for (int d = shape.length - 1; d >= 0; d--) {
                    it += ts[d];
                    if (++index[d] < shape[d]) {
                        break;
                    }
                    it -= ts[d] * shape[d];
                    index[d] = 0;
                }
            }
        }
        return JvmStorage.rounded(this, out, x.dtype());
    }

    @Override
    public Storage broadcastTo(Storage x, int[] shape, int[] outShape) {
        double[] in = data(x);
        int n = Shapes.size(outShape);
        if (n == in.length) {
            return x;
        }
        double[] out = new double[n];
        if (in.length == 1) {
            java.util.Arrays.fill(out, in[0]);
        } else {
            int[] s = Shapes.broadcastStrides(shape, outShape);
            int[] index = new int[outShape.length];
            int is = 0;
            for (int i = 0; i < n; i++) {
                out[i] = in[is];
                for (int d = outShape.length - 1; d >= 0; d--) {
                    is += s[d];
                    if (++index[d] < outShape[d]) {
                        break;
                    }
                    is -= s[d] * outShape[d];
                    index[d] = 0;
                }
            }
        }
        return new JvmStorage(this, out, x.dtype());
    }

    @Override
    public Storage sumAxis(Storage x, int[] shape, int axis) {
        return sumTo(x, shape, Shapes.keep(shape, axis));
    }

    @Override
    public Storage logSumExpAxis(Storage x, int[] shape, int axis) {
        double[] in = data(x);
        int len = shape[axis];
        int inner = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        int outer = in.length / (len * inner);
        double[] out = new double[outer * inner];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * len * inner + i;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) {
                    max = Math.max(max, in[base + j * inner]);
                }
                double s = 0;
                if (max != Double.NEGATIVE_INFINITY) {
                    for (int j = 0; j < len; j++) {
                        s += Math.exp(in[base + j * inner] - max);
                    }
                }
                out[o * inner + i] = Double.isInfinite(max) ? max : max + Math.log(s);
            }
        }
        return JvmStorage.rounded(this, out, x.dtype());
    }

    @Override
    public Storage matmul(Storage a, boolean transposeA, Storage b, boolean transposeB, int m, int k, int n) {
        double[] x = data(a);
        double[] y = data(b);
        double[] out = new double[m * n];
        // Row-major strides of op(A) (m×k) and op(B) (k×n) over the stored arrays.
        int aRow = transposeA ? 1 : k;
        int aCol = transposeA ? m : 1;
        int bRow = transposeB ? 1 : n;
        int bCol = transposeB ? k : 1;
        if (!transposeB) {
            // i-p-j order: the inner loop streams a row of B and a row of the output.
            for (int i = 0; i < m; i++) {
                int o = i * n;
                for (int p = 0; p < k; p++) {
                    double av = x[i * aRow + p * aCol];
                    int bo = p * n;
                    for (int j = 0; j < n; j++) {
                        out[o + j] += av * y[bo + j];
                    }
                }
            }
        } else {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        s += x[i * aRow + p * aCol] * y[p * bRow + j * bCol];
                    }
                    out[i * n + j] = s;
                }
            }
        }
        return JvmStorage.rounded(this, out, DType.widest(a.dtype(), b.dtype()));
    }

    @Override
    public boolean allFinite(Storage x) {
        for (double v : data(x)) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void addInPlace(Storage y, Storage x, double alpha) {
        double[] t = data(y);
        double[] s = data(x);
        for (int i = 0; i < t.length; i++) {
            t[i] += alpha * s[i];
        }
        ((JvmStorage) y).round();
    }

    @Override
    public void scaleInPlace(Storage y, double alpha) {
        double[] t = data(y);
        for (int i = 0; i < t.length; i++) {
            t[i] *= alpha;
        }
        ((JvmStorage) y).round();
    }

    @Override
    public void addcmulInPlace(Storage y, Storage a, Storage b, double value) {
        double[] t = data(y);
        double[] u = data(a);
        double[] v = data(b);
        for (int i = 0; i < t.length; i++) {
            t[i] += value * u[i] * v[i];
        }
        ((JvmStorage) y).round();
    }

    @Override
    public void addcdivSqrtInPlace(Storage y, Storage a, Storage b, double scale, double eps, double value) {
        double[] t = data(y);
        double[] u = data(a);
        double[] v = data(b);
        boolean f32 = y.dtype() == DType.FLOAT32;
        for (int i = 0; i < t.length; i++) {
            double denom = Math.sqrt(v[i]) * scale + eps;
            // PyTorch keeps the denominator as a float32 tensor; round it the same way.
            t[i] += value * u[i] / (f32 ? (float) denom : denom);
        }
        ((JvmStorage) y).round();
    }

    @Override
    public void copyInPlace(Storage dst, Storage src) {
        System.arraycopy(data(src), 0, data(dst), 0, dst.size());
        ((JvmStorage) dst).round();
    }

    private double[] data(Storage s) {
        if (s.backend() != this) {
            throw new IllegalArgumentException("storage of backend '" + s.backend().name() + "' given to 'jvm'");
        }
        return ((JvmStorage) s).data;
    }
}
