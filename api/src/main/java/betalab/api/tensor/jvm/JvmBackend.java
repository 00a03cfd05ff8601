package betalab.api.tensor.jvm;

import betalab.api.tensor.AdamStep;
import betalab.api.tensor.Attention;
import betalab.api.tensor.BinaryOp;
import betalab.api.tensor.DType;
import betalab.api.tensor.Shapes;
import betalab.api.tensor.Storage;
import betalab.api.tensor.TensorBackend;
import betalab.api.tensor.UnaryOp;
import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;

/**
 * The pure-JVM backend: plain loops over Java arrays. For the small shapes of preference
 * experiments a loop costs nanoseconds where a native call costs microseconds, so this is the
 * default engine.
 *
 * <p>Float32 storage is a {@code float[]}, float64 a {@code double[]}. Float32 arithmetic gives the
 * float32 result exactly: + − × ÷ are done in float (the same as in double then rounded, since a
 * double holds more than twice a float's digits), every other function in double and rounded once.
 * Sums accumulate in double and round at the end, and so do matrix products, except float32
 * products of at least 8,192 multiply-adds when the JVM has {@code jdk.incubator.vector}: those run
 * on {@link Matmul}'s vector kernel, which accumulates in float32 as BLAS sgemm and PyTorch do (so
 * {@link #describe()} names the kernel: runs compared number for number need the same one); with it,
 * float32 SiLU and the fused transformer kernels' softmax exponentials run on {@link VectorMath}
 * (within 2 float ulps). Kernels
 * mixing precisions widen their float32 operands and compute in float64.
 *
 * <p>Every kernel picks its operation once and then runs tight loops: broadcasting walks rows of
 * the output with an inner contiguous loop rather than stepping an index per element. Matrix
 * products past a small size take {@link Matmul}'s blocked kernels (the vector kernel for float32
 * where the module is present, else double panels that C2 vectorises), and large ones split over
 * threads of the common fork-join pool; the sizes are set by system properties, or per backend
 * through {@link #JvmBackend(long, long, int)}. The backend keeps no
 * mutable state other than per-thread scratch, so tensors may be computed on several threads at once.
 */
public final class JvmBackend implements TensorBackend {

    /** Default: products with at least this many multiply-adds (m·k·n) take the blocked kernel. */
    static final long BLOCKED_MATMUL_WORK = Long.getLong("betalab.jvm.blockedMatmulWork", 8192);
    /** Default: products with at least this many multiply-adds are split over threads. */
    static final long PARALLEL_MATMUL_WORK = Long.getLong("betalab.jvm.parallelMatmulWork", 1L << 21);
    /** Default: threads a large product may use, the calling one included. */
    static final int THREADS = Math.max(1, Integer.getInteger("betalab.jvm.threads",
            Math.min(Runtime.getRuntime().availableProcessors(), ForkJoinPool.getCommonPoolParallelism() + 1)));

    // Per instance rather than static so that a test can send even tiny products through the blocked
    // and threaded kernels, which the conformance suite's small shapes would otherwise never reach.
    private final Matmul matmul;
    private final TransformerKernels transformer;
    /** Float32 SiLU and softmax exponentials on {@link VectorMath}: where the vector product runs. */
    private final boolean vectorMath;
    /** Batched products whose entries have at least this many multiply-adds run each entry through {@link #matmul}. */
    private final long blockedMatmulWork;

    /**
     * The backend ServiceLoader makes: matmul thresholds and threads from the system properties
     * {@code betalab.jvm.blockedMatmulWork} (default 8192), {@code betalab.jvm.parallelMatmulWork}
     * (default 2²¹) and {@code betalab.jvm.threads} (default: the cores the common fork-join pool can use);
     * float32 products on the vector kernel where {@code jdk.incubator.vector} is present, unless
     * {@code betalab.jvm.vectorMatmul} is false.
     */
    public JvmBackend() {
        this(BLOCKED_MATMUL_WORK, PARALLEL_MATMUL_WORK, THREADS);
    }

    /**
     * A backend with its own matmul settings; {@code new JvmBackend(0, 0, 2)} sends every product,
     * however small, through the blocked kernels (the vector kernel for float32 where it runs) and
     * splits it over two threads where it has at least 16 rows or columns (parts are multiples of
     * the kernel's tile, or of 8 where that leaves a part empty).
     *
     * @param blockedMatmulWork products with at least this many multiply-adds (m·k·n) take the blocked kernel
     * @param parallelMatmulWork blocked products with at least this many multiply-adds are split over threads
     * @param threads how many threads a split product may use, the calling one included
     */
    public JvmBackend(long blockedMatmulWork, long parallelMatmulWork, int threads) {
        this(blockedMatmulWork, parallelMatmulWork, threads, Matmul.VECTOR_DEFAULT);
    }

    /**
     * As above, choosing the float32 kernel: {@code vectorKernel} true needs the module
     * {@code jdk.incubator.vector} ({@link IllegalStateException} without it); false keeps float32
     * products on the plain-Java kernels, as when the module is absent.
     */
    public JvmBackend(long blockedMatmulWork, long parallelMatmulWork, int threads, boolean vectorKernel) {
        if (blockedMatmulWork < 0 || parallelMatmulWork < 0 || threads < 1) {
            throw new IllegalArgumentException("matmul thresholds must be at least 0 and threads at least 1, got "
                    + blockedMatmulWork + ", " + parallelMatmulWork + ", " + threads);
        }
        this.matmul = new Matmul(this, blockedMatmulWork, parallelMatmulWork, threads, vectorKernel);
        this.transformer = new TransformerKernels(matmul);
        this.vectorMath = matmul.usesVectorKernel();
        this.blockedMatmulWork = blockedMatmulWork;
    }

    @Override
    public String name() {
        return "jvm";
    }

    /** "jvm", and which kernel runs float32 products: the vector kernel and the plain one round differently. */
    @Override
    public String describe() {
        return "jvm (float32 products on the " + (matmul.usesVectorKernel() ? "vector" : "plain-Java") + " kernel)";
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public Storage of(double[] values, DType dtype) {
        return dtype == DType.FLOAT64 ? JvmStorage.of(this, values.clone()) : JvmStorage.of(this, JvmStorage.narrow(values));
    }

    @Override
    public Storage full(int size, double value, DType dtype) {
        if (dtype == DType.FLOAT64) {
            double[] d = new double[size];
            Arrays.fill(d, value);
            return JvmStorage.of(this, d);
        }
        float[] f = new float[size];
        Arrays.fill(f, (float) value);
        return JvmStorage.of(this, f);
    }

    @Override
    public double[] toDoubleArray(Storage storage) {
        JvmStorage s = js(storage);
        return s.d != null ? s.d.clone() : JvmStorage.widen(s.f);
    }

    @Override
    public Storage cast(Storage storage, DType dtype) {
        JvmStorage s = js(storage);
        if (s.f != null) {
            return dtype == DType.FLOAT32 ? JvmStorage.of(this, s.f.clone()) : JvmStorage.of(this, JvmStorage.widen(s.f));
        }
        return dtype == DType.FLOAT64 ? JvmStorage.of(this, s.d.clone()) : JvmStorage.of(this, JvmStorage.narrow(s.d));
    }

    // ---------------------------------------------------------------- element-wise

    @Override
    public Storage unary(UnaryOp op, Storage x) {
        JvmStorage s = js(x);
        if (s.f == null) {
            double[] in = s.d;
            double[] out = new double[in.length];
            for (int i = 0; i < in.length; i++) {
                out[i] = apply(op, in[i]);
            }
            return JvmStorage.of(this, out);
        }
        float[] in = s.f;
        int n = in.length;
        float[] out = new float[n];
        switch (op) {
            case NEG -> {
                for (int i = 0; i < n; i++) {
                    out[i] = -in[i];
                }
            }
            case EXP -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) FastExp.exp(in[i]);
                }
            }
            case LOG -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) Math.log(in[i]);
                }
            }
            case SQRT -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) Math.sqrt(in[i]);
                }
            }
            case ABS -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Math.abs(in[i]);
                }
            }
            case SQUARE -> {
                for (int i = 0; i < n; i++) {
                    out[i] = in[i] * in[i];
                }
            }
            case RELU -> {
                for (int i = 0; i < n; i++) {
                    float v = in[i];
                    out[i] = v > 0 ? v : 0f;
                }
            }
            case SIGMOID -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) sigmoid(in[i]);
                }
            }
            case TANH -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) Math.tanh(in[i]);
                }
            }
            case SOFTPLUS -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) softplusForFloat(in[i]);
                }
            }
            case LOG_SIGMOID -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) -softplusForFloat(-(double) in[i]);
                }
            }
            case SILU -> {
                if (vectorMath) {
                    VectorMath.silu(in, out);
                } else {
                    for (int i = 0; i < n; i++) {
                        double v = in[i];
                        out[i] = (float) (v * sigmoidForFloat(v));
                    }
                }
            }
            case GELU_TANH -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) geluTanh(in[i]);
                }
            }
        }
        return JvmStorage.of(this, out);
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
            case SILU -> v * sigmoid(v);
            case GELU_TANH -> geluTanh(v);
        };
    }

    @Override
    public Storage unaryBackward(UnaryOp op, Storage x, Storage y, Storage gradY) {
        JvmStorage xs = js(x);
        JvmStorage ys = js(y);
        JvmStorage gs = js(gradY);
        if (xs.f == null || ys.f == null || gs.f == null) {
            double[] xd = xs.doubles();
            double[] yd = ys.doubles();
            double[] g = gs.doubles();
            double[] out = new double[xd.length];
            for (int i = 0; i < xd.length; i++) {
                out[i] = g[i] * derivative(op, xd[i], yd[i]);
            }
            return JvmStorage.of(this, out);
        }
        float[] xv = xs.f;
        float[] yv = ys.f;
        float[] g = gs.f;
        int n = xv.length;
        float[] out = new float[n];
        // g · op'(x, y), computed in double as the derivative is written, rounded once.
        switch (op) {
            case NEG -> {
                for (int i = 0; i < n; i++) {
                    out[i] = -g[i];
                }
            }
            case EXP -> {
                for (int i = 0; i < n; i++) {
                    out[i] = g[i] * yv[i];
                }
            }
            case LOG -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) (g[i] * (1.0 / xv[i]));
                }
            }
            case SQRT -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) (g[i] * (0.5 / yv[i]));
                }
            }
            case ABS -> {
                for (int i = 0; i < n; i++) {
                    out[i] = g[i] * Math.signum(xv[i]);
                }
            }
            case SQUARE -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) (g[i] * (2.0 * xv[i]));
                }
            }
            case RELU -> {
                for (int i = 0; i < n; i++) {
                    out[i] = g[i] * (xv[i] > 0 ? 1f : 0f);
                }
            }
            case SIGMOID -> {
                for (int i = 0; i < n; i++) {
                    double s = yv[i];
                    out[i] = (float) (g[i] * (s * (1.0 - s)));
                }
            }
            case TANH -> {
                for (int i = 0; i < n; i++) {
                    double t = yv[i];
                    out[i] = (float) (g[i] * (1.0 - t * t));
                }
            }
            case SOFTPLUS -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) (g[i] * sigmoid(xv[i]));
                }
            }
            case LOG_SIGMOID -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) (g[i] * sigmoid(-(double) xv[i]));
                }
            }
            case SILU -> {
                if (vectorMath) {
                    VectorMath.siluBackward(xv, g, out);
                } else {
                    for (int i = 0; i < n; i++) {
                        double v = xv[i];
                        double s = sigmoidForFloat(v);
                        out[i] = (float) (g[i] * (s * (1.0 + v * (1.0 - s))));
                    }
                }
            }
            case GELU_TANH -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) (g[i] * geluTanhDerivative(xv[i]));
                }
            }
        }
        return JvmStorage.of(this, out);
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
            case SILU -> sigmoid(x) * (1.0 + x * (1.0 - sigmoid(x)));
            case GELU_TANH -> geluTanhDerivative(x);
        };
    }

    /** σ(v) with {@link FastExp}: rounded to float it is {@link #sigmoid}'s value. */
    private static double sigmoidForFloat(double v) {
        if (v >= 0) {
            return 1.0 / (1.0 + FastExp.exp(-v));
        }
        double e = FastExp.exp(v);
        return e / (1.0 + e);
    }

    private static final double GELU_C = Math.sqrt(2 / Math.PI);
    private static final double GELU_A = 0.044715;

    static double geluTanh(double v) {
        return 0.5 * v * (1.0 + Math.tanh(GELU_C * (v + GELU_A * v * v * v)));
    }

    static double geluTanhDerivative(double v) {
        double t = Math.tanh(GELU_C * (v + GELU_A * v * v * v));
        return 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * GELU_A * v * v);
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

    /**
     * softplus to a few double ulps, for results rounded to float: log1p(e) as log(1 + e)·e/((1 + e) − 1)
     * (Goldberg's form), since Math.log is an intrinsic and Math.log1p is not (15 against 37 ns an
     * element here; over 2·10⁷ float inputs the rounded results were identical).
     */
    static double softplusForFloat(double v) {
        double e = Math.exp(-Math.abs(v));
        double u = 1.0 + e;
        return Math.max(v, 0.0) + (u == 1.0 ? e : Math.log(u) * (e / (u - 1.0)));
    }

    @Override
    public Storage binary(BinaryOp op, Storage a, int[] aShape, Storage b, int[] bShape, int[] outShape) {
        JvmStorage sa = js(a);
        JvmStorage sb = js(b);
        int n = Shapes.size(outShape);
        if (sa.f != null && sb.f != null) {
            float[] x = sa.f;
            float[] y = sb.f;
            float[] out = new float[n];
            if (x.length == n && y.length == n) {
                sameF(op, x, y, out);
            } else if (y.length == 1) {
                scalarRightF(op, x, y[0], out);
            } else if (x.length == 1) {
                scalarLeftF(op, x[0], y, out);
            } else {
                Walk w = new Walk(outShape, Shapes.broadcastStrides(aShape, outShape),
                        Shapes.broadcastStrides(bShape, outShape));
                broadcastF(op, x, y, out, w);
            }
            return JvmStorage.of(this, out);
        }
        double[] x = sa.doubles();
        double[] y = sb.doubles();
        double[] out = new double[n];
        Walk w = new Walk(outShape, Shapes.broadcastStrides(aShape, outShape), Shapes.broadcastStrides(bShape, outShape));
        int len = w.rank == 0 ? n : w.dims[0];
        int[][] offsets = w.rowOffsets(n);
        for (int r = 0, oo = 0; oo < n; r++, oo += len) {
            int xo = offsets[0][r];
            int yo = offsets[1][r];
            int xs = w.rank == 0 ? 0 : w.first[0];
            int ys = w.rank == 0 ? 0 : w.second[0];
            for (int i = 0; i < len; i++) {
                out[oo + i] = apply(op, x[xo + i * xs], y[yo + i * ys]);
            }
        }
        return JvmStorage.of(this, out);
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

    /** out = x op y for float32 operands of the output's size: plain indices, which C2 vectorises. */
    private static void sameF(BinaryOp op, float[] x, float[] y, float[] out) {
        int n = out.length;
        switch (op) {
            case ADD -> {
                for (int i = 0; i < n; i++) {
                    out[i] = x[i] + y[i];
                }
            }
            case SUB -> {
                for (int i = 0; i < n; i++) {
                    out[i] = x[i] - y[i];
                }
            }
            case MUL -> {
                for (int i = 0; i < n; i++) {
                    out[i] = x[i] * y[i];
                }
            }
            case DIV -> {
                for (int i = 0; i < n; i++) {
                    out[i] = x[i] / y[i];
                }
            }
            case GREATER -> {
                for (int i = 0; i < n; i++) {
                    out[i] = x[i] > y[i] ? 1f : 0f;
                }
            }
        }
    }

    /** out = x op s, x of the output's size (or one element). */
    private static void scalarRightF(BinaryOp op, float[] x, float s, float[] out) {
        int n = out.length;
        if (x.length != n) {
            Arrays.fill(out, applyF(op, x[0], s));
            return;
        }
        switch (op) {
            case ADD -> {
                for (int i = 0; i < n; i++) {
                    out[i] = x[i] + s;
                }
            }
            case SUB -> {
                for (int i = 0; i < n; i++) {
                    out[i] = x[i] - s;
                }
            }
            case MUL -> {
                for (int i = 0; i < n; i++) {
                    out[i] = x[i] * s;
                }
            }
            case DIV -> {
                for (int i = 0; i < n; i++) {
                    out[i] = x[i] / s;
                }
            }
            case GREATER -> {
                for (int i = 0; i < n; i++) {
                    out[i] = x[i] > s ? 1f : 0f;
                }
            }
        }
    }

    /** out = s op y, y of the output's size. */
    private static void scalarLeftF(BinaryOp op, float s, float[] y, float[] out) {
        int n = out.length;
        switch (op) {
            case ADD -> {
                for (int i = 0; i < n; i++) {
                    out[i] = s + y[i];
                }
            }
            case SUB -> {
                for (int i = 0; i < n; i++) {
                    out[i] = s - y[i];
                }
            }
            case MUL -> {
                for (int i = 0; i < n; i++) {
                    out[i] = s * y[i];
                }
            }
            case DIV -> {
                for (int i = 0; i < n; i++) {
                    out[i] = s / y[i];
                }
            }
            case GREATER -> {
                for (int i = 0; i < n; i++) {
                    out[i] = s > y[i] ? 1f : 0f;
                }
            }
        }
    }

    private static float applyF(BinaryOp op, float x, float y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            case GREATER -> x > y ? 1f : 0f;
        };
    }

    /**
     * NumPy broadcasting for float32: dimensions both operands walk alike are merged, the operands'
     * offsets at the start of every innermost run are computed first, then one loop per operation
     * fills the runs.
     */
    private static void broadcastF(BinaryOp op, float[] x, float[] y, float[] out, Walk w) {
        int n = out.length;
        if (w.rank == 0) {
            Arrays.fill(out, applyF(op, x[0], y[0]));
            return;
        }
        int len = w.dims[0];
        int xs = w.first[0];
        int ys = w.second[0];
        int[][] offsets = w.rowOffsets(n);
        int[] xo = offsets[0];
        int[] yo = offsets[1];
        int rows = xo.length;
        if (xs == 1 && ys == 1) {
            // Both operands contiguous along the run (the usual case): no stride arithmetic.
            switch (op) {
                case ADD -> {
                    for (int r = 0; r < rows; r++) {
                        int a = xo[r];
                        int b = yo[r];
                        int o = r * len;
                        for (int i = 0; i < len; i++) {
                            out[o + i] = x[a + i] + y[b + i];
                        }
                    }
                }
                case SUB -> {
                    for (int r = 0; r < rows; r++) {
                        int a = xo[r];
                        int b = yo[r];
                        int o = r * len;
                        for (int i = 0; i < len; i++) {
                            out[o + i] = x[a + i] - y[b + i];
                        }
                    }
                }
                case MUL -> {
                    for (int r = 0; r < rows; r++) {
                        int a = xo[r];
                        int b = yo[r];
                        int o = r * len;
                        for (int i = 0; i < len; i++) {
                            out[o + i] = x[a + i] * y[b + i];
                        }
                    }
                }
                case DIV -> {
                    for (int r = 0; r < rows; r++) {
                        int a = xo[r];
                        int b = yo[r];
                        int o = r * len;
                        for (int i = 0; i < len; i++) {
                            out[o + i] = x[a + i] / y[b + i];
                        }
                    }
                }
                case GREATER -> {
                    for (int r = 0; r < rows; r++) {
                        int a = xo[r];
                        int b = yo[r];
                        int o = r * len;
                        for (int i = 0; i < len; i++) {
                            out[o + i] = x[a + i] > y[b + i] ? 1f : 0f;
                        }
                    }
                }
            }
            return;
        }
        switch (op) {
            case ADD -> {
                for (int r = 0; r < rows; r++) {
                    int a = xo[r];
                    int b = yo[r];
                    int o = r * len;
                    for (int i = 0; i < len; i++) {
                        out[o + i] = x[a + i * xs] + y[b + i * ys];
                    }
                }
            }
            case SUB -> {
                for (int r = 0; r < rows; r++) {
                    int a = xo[r];
                    int b = yo[r];
                    int o = r * len;
                    for (int i = 0; i < len; i++) {
                        out[o + i] = x[a + i * xs] - y[b + i * ys];
                    }
                }
            }
            case MUL -> {
                for (int r = 0; r < rows; r++) {
                    int a = xo[r];
                    int b = yo[r];
                    int o = r * len;
                    for (int i = 0; i < len; i++) {
                        out[o + i] = x[a + i * xs] * y[b + i * ys];
                    }
                }
            }
            case DIV -> {
                for (int r = 0; r < rows; r++) {
                    int a = xo[r];
                    int b = yo[r];
                    int o = r * len;
                    for (int i = 0; i < len; i++) {
                        out[o + i] = x[a + i * xs] / y[b + i * ys];
                    }
                }
            }
            case GREATER -> {
                for (int r = 0; r < rows; r++) {
                    int a = xo[r];
                    int b = yo[r];
                    int o = r * len;
                    for (int i = 0; i < len; i++) {
                        out[o + i] = x[a + i * xs] > y[b + i * ys] ? 1f : 0f;
                    }
                }
            }
        }
    }

    /**
     * A row-major walk over {@code shape} with two sets of strides, its dimensions merged where
     * both strides allow and size-1 dimensions dropped; index 0 is the innermost.
     */
    private static final class Walk {
        final int[] dims;
        final int[] first;
        final int[] second;
        final int rank;

        Walk(int[] shape, int[] firstStrides, int[] secondStrides) {
            dims = new int[shape.length];
            first = new int[shape.length];
            second = new int[shape.length];
            int r = 0;
            for (int d = shape.length - 1; d >= 0; d--) {
                if (shape[d] == 1) {
                    continue;
                }
                if (r > 0 && firstStrides[d] == first[r - 1] * dims[r - 1]
                        && secondStrides[d] == second[r - 1] * dims[r - 1]) {
                    dims[r - 1] *= shape[d];
                } else {
                    dims[r] = shape[d];
                    first[r] = firstStrides[d];
                    second[r] = secondStrides[d];
                    r++;
                }
            }
            rank = r;
        }

        /** For each innermost run of a walk over {@code total} elements: where it starts in each operand. */
        int[][] rowOffsets(int total) {
            int len = rank == 0 ? Math.max(total, 1) : dims[0];
            int rows = len == 0 ? 0 : total / len;
            int[] a = new int[rows];
            int[] b = new int[rows];
            int[] index = new int[Math.max(rank, 1)];
            int ao = 0;
            int bo = 0;
            for (int r = 0; r < rows; r++) {
                a[r] = ao;
                b[r] = bo;
                for (int d = 1; d < rank; d++) {
                    ao += first[d];
                    bo += second[d];
                    if (++index[d] < dims[d]) {
                        break;
                    }
                    ao -= first[d] * dims[d];
                    bo -= second[d] * dims[d];
                    index[d] = 0;
                }
            }
            return new int[][] {a, b};
        }
    }

    /** Row-major strides of a contiguous array of this shape. */
    private static int[] contiguousStrides(int[] shape) {
        int[] strides = new int[shape.length];
        int stride = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d] = stride;
            stride *= shape[d];
        }
        return strides;
    }

    // ---------------------------------------------------------------- reductions and broadcasting

    @Override
    public Storage sumTo(Storage x, int[] shape, int[] targetShape) {
        JvmStorage s = js(x);
        int size = s.size();
        int n = Shapes.size(targetShape);
        if (n == size) {
            return x;
        }
        // Sums accumulate in double, each target element adding its sources in source order.
        double[] acc = new double[n];
        if (n == 1) {
            double sum = 0;
            if (s.f != null) {
                for (float v : s.f) {
                    sum += v;
                }
            } else {
                for (double v : s.d) {
                    sum += v;
                }
            }
            acc[0] = sum;
        } else if (size > 0) {
            // The source a row at a time; the target's offset moves only along the dimensions it keeps.
            Walk w = new Walk(shape, contiguousStrides(shape), Shapes.broadcastStrides(targetShape, shape));
            int len = w.dims[0];
            int ts = w.second[0];
            int[] to = w.rowOffsets(size)[1];
            if (s.f != null) {
                float[] in = s.f;
                for (int r = 0; r < to.length; r++) {
                    int io = r * len;
                    int t = to[r];
                    if (ts == 0) {
                        double sum = acc[t];
                        for (int i = 0; i < len; i++) {
                            sum += in[io + i];
                        }
                        acc[t] = sum;
                    } else {
                        for (int i = 0; i < len; i++) {
                            acc[t + i * ts] += in[io + i];
                        }
                    }
                }
            } else {
                double[] in = s.d;
                for (int r = 0; r < to.length; r++) {
                    int io = r * len;
                    int t = to[r];
                    for (int i = 0; i < len; i++) {
                        acc[t + i * ts] += in[io + i];
                    }
                }
            }
        }
        return JvmStorage.rounded(this, acc, x.dtype());
    }

    @Override
    public Storage broadcastTo(Storage x, int[] shape, int[] outShape) {
        JvmStorage s = js(x);
        int n = Shapes.size(outShape);
        if (n == s.size()) {
            return x;
        }
        int[] strides = Shapes.broadcastStrides(shape, outShape);
        Walk w = new Walk(outShape, strides, strides);
        if (s.f != null) {
            float[] in = s.f;
            float[] out = new float[n];
            if (in.length == 1 || w.rank == 0) {
                Arrays.fill(out, in[0]);
            } else {
                int len = w.dims[0];
                int stride = w.first[0];
                int[] io = w.rowOffsets(n)[0];
                for (int r = 0; r < io.length; r++) {
                    int o = r * len;
                    int base = io[r];
                    if (stride == 0) {
                        float v = in[base];
                        for (int i = 0; i < len; i++) {
                            out[o + i] = v;
                        }
                    } else {
                        for (int i = 0; i < len; i++) {
                            out[o + i] = in[base + i * stride];
                        }
                    }
                }
            }
            return JvmStorage.of(this, out);
        }
        double[] in = s.d;
        double[] out = new double[n];
        if (in.length == 1 || w.rank == 0) {
            Arrays.fill(out, in[0]);
        } else {
            int len = w.dims[0];
            int stride = w.first[0];
            int[] io = w.rowOffsets(n)[0];
            for (int r = 0; r < io.length; r++) {
                for (int i = 0; i < len; i++) {
                    out[r * len + i] = in[io[r] + i * stride];
                }
            }
        }
        return JvmStorage.of(this, out);
    }

    @Override
    public Storage sumAxis(Storage x, int[] shape, int axis) {
        return sumTo(x, shape, Shapes.keep(shape, axis));
    }

    @Override
    public Storage logSumExpAxis(Storage x, int[] shape, int axis) {
        double[] in = js(x).doubles();
        int len = shape[axis];
        int inner = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        int outer = len * inner == 0 ? 0 : in.length / (len * inner);
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
    public Storage gather(Storage x, int[] index) {
        JvmStorage s = js(x);
        if (s.f != null) {
            float[] out = new float[index.length];
            for (int i = 0; i < index.length; i++) {
                out[i] = s.f[index[i]];
            }
            return JvmStorage.of(this, out);
        }
        double[] out = new double[index.length];
        for (int i = 0; i < index.length; i++) {
            out[i] = s.d[index[i]];
        }
        return JvmStorage.of(this, out);
    }

    /** As the default for float64; float32 read and written as floats, with {@link FastExp}, which rounds alike. */
    @Override
    public Storage logSoftmaxAxis(Storage x, int[] shape, int axis) {
        JvmStorage s = js(x);
        if (s.f == null) {
            return TensorBackend.super.logSoftmaxAxis(x, shape, axis);
        }
        float[] in = s.f;
        float[] out = new float[in.length];
        int len = shape[axis];
        int inner = Shapes.size(Arrays.copyOfRange(shape, axis + 1, shape.length));
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
                    sum += FastExp.exp(in[base + j * inner] - max);
                }
                double logSum = Math.log(sum);
                for (int j = 0; j < len; j++) {
                    out[base + j * inner] = (float) ((in[base + j * inner] - max) - logSum);
                }
            }
        }
        return JvmStorage.of(this, out);
    }

    @Override
    public Storage logSoftmaxBackward(Storage y, Storage gradY, int[] shape, int axis) {
        JvmStorage ys = js(y);
        JvmStorage gs = js(gradY);
        if (ys.f == null || gs.f == null) {
            return TensorBackend.super.logSoftmaxBackward(y, gradY, shape, axis);
        }
        float[] yv = ys.f;
        float[] g = gs.f;
        float[] out = new float[yv.length];
        int len = shape[axis];
        int inner = Shapes.size(Arrays.copyOfRange(shape, axis + 1, shape.length));
        int outer = len * inner == 0 ? 0 : yv.length / (len * inner);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * len * inner + i;
                double sum = 0;
                for (int j = 0; j < len; j++) {
                    sum += g[base + j * inner];
                }
                for (int j = 0; j < len; j++) {
                    out[base + j * inner] = (float) (g[base + j * inner] - FastExp.exp(yv[base + j * inner]) * sum);
                }
            }
        }
        return JvmStorage.of(this, out);
    }

    @Override
    public Storage gatherRows(Storage x, int rowSize, int[] index) {
        JvmStorage s = js(x);
        if (s.f != null) {
            float[] out = new float[index.length * rowSize];
            for (int i = 0; i < index.length; i++) {
                System.arraycopy(s.f, index[i] * rowSize, out, i * rowSize, rowSize);
            }
            return JvmStorage.of(this, out);
        }
        double[] out = new double[index.length * rowSize];
        for (int i = 0; i < index.length; i++) {
            System.arraycopy(s.d, index[i] * rowSize, out, i * rowSize, rowSize);
        }
        return JvmStorage.of(this, out);
    }

    @Override
    public Storage scatterAddRows(Storage g, int rowSize, int[] index, int rows) {
        JvmStorage s = js(g);
        double[] out = new double[rows * rowSize];
        for (int i = 0; i < index.length; i++) {
            int to = index[i] * rowSize;
            int from = i * rowSize;
            if (s.f != null) {
                for (int j = 0; j < rowSize; j++) {
                    out[to + j] += s.f[from + j];
                }
            } else {
                for (int j = 0; j < rowSize; j++) {
                    out[to + j] += s.d[from + j];
                }
            }
        }
        return JvmStorage.rounded(this, out, g.dtype());
    }

    @Override
    public Storage scatterAdd(Storage g, int[] index, int size) {
        double[] in = js(g).doubles();
        double[] out = new double[size];
        for (int i = 0; i < index.length; i++) {
            out[index[i]] += in[i];
        }
        return JvmStorage.rounded(this, out, g.dtype());
    }

    // ---------------------------------------------------------------- transformer operations
    // Float32 operands take TransformerKernels; float64 or mixed ones the SPI's double defaults.

    @Override
    public Storage[] rmsNorm(Storage x, Storage weight, int width, double eps) {
        JvmStorage xs = js(x);
        JvmStorage ws = js(weight);
        if (xs.f == null || ws.f == null) {
            return TensorBackend.super.rmsNorm(x, weight, width, eps);
        }
        double[] rstd = new double[xs.f.length / width];
        return new Storage[] {JvmStorage.of(this, TransformerKernels.rmsNorm(xs.f, ws.f, eps, rstd)),
                JvmStorage.of(this, rstd)};
    }

    @Override
    public Storage[] rmsNormBackward(Storage x, Storage weight, Storage rstd, Storage gradY, int width) {
        JvmStorage xs = js(x);
        JvmStorage ws = js(weight);
        JvmStorage gs = js(gradY);
        if (xs.f == null || ws.f == null || gs.f == null) {
            return TensorBackend.super.rmsNormBackward(x, weight, rstd, gradY, width);
        }
        float[][] d = TransformerKernels.rmsNormBackward(xs.f, ws.f, js(rstd).doubles(), gs.f);
        return new Storage[] {JvmStorage.of(this, d[0]), JvmStorage.of(this, d[1])};
    }

    @Override
    public Storage rope(Storage x, Storage cos, Storage sin, int[] positions, int headDim, boolean inverse) {
        JvmStorage xs = js(x);
        JvmStorage cs = js(cos);
        JvmStorage ss = js(sin);
        if (xs.f == null || cs.f == null || ss.f == null) {
            return TensorBackend.super.rope(x, cos, sin, positions, headDim, inverse);
        }
        return JvmStorage.of(this, TransformerKernels.rope(xs.f, cs.f, ss.f, positions, headDim, inverse));
    }

    @Override
    public Storage[] attention(Storage q, Storage k, Storage v, Attention shape, boolean[] keyMask) {
        JvmStorage qs = js(q);
        JvmStorage ks = js(k);
        JvmStorage vs = js(v);
        if (qs.f == null || ks.f == null || vs.f == null) {
            return TensorBackend.super.attention(q, k, v, shape, keyMask);
        }
        float[] out = new float[qs.f.length];
        float[] probs = new float[shape.probabilities()];
        transformer.attention(qs.f, ks.f, vs.f, shape, keyMask, out, probs);
        return new Storage[] {JvmStorage.of(this, out), JvmStorage.of(this, probs)};
    }

    @Override
    public Storage[] attentionBackward(Storage q, Storage k, Storage v, Storage probabilities, Storage gradOut,
                                       Attention shape) {
        JvmStorage qs = js(q);
        JvmStorage ks = js(k);
        JvmStorage vs = js(v);
        JvmStorage ps = js(probabilities);
        JvmStorage gs = js(gradOut);
        if (qs.f == null || ks.f == null || vs.f == null || ps.f == null || gs.f == null) {
            return TensorBackend.super.attentionBackward(q, k, v, probabilities, gradOut, shape);
        }
        float[] dq = new float[qs.f.length];
        float[] dk = new float[ks.f.length];
        float[] dv = new float[vs.f.length];
        transformer.attentionBackward(qs.f, ks.f, vs.f, ps.f, gs.f, shape, dq, dk, dv);
        return new Storage[] {JvmStorage.of(this, dq), JvmStorage.of(this, dk), JvmStorage.of(this, dv)};
    }

    @Override
    public Storage[] tokenLogProbs(Storage logits, int vocab, int[] targets) {
        JvmStorage ls = js(logits);
        if (ls.f == null) {
            return TensorBackend.super.tokenLogProbs(logits, vocab, targets);
        }
        double[] logSumExp = new double[targets.length];
        float[] out = transformer.tokenLogProbs(ls.f, vocab, targets, logSumExp);
        return new Storage[] {JvmStorage.of(this, out), JvmStorage.of(this, logSumExp)};
    }

    @Override
    public Storage tokenLogProbsBackward(Storage logits, Storage logSumExp, int[] targets, Storage gradLogps,
                                        int vocab) {
        JvmStorage ls = js(logits);
        JvmStorage gs = js(gradLogps);
        if (ls.f == null || gs.f == null) {
            return TensorBackend.super.tokenLogProbsBackward(logits, logSumExp, targets, gradLogps, vocab);
        }
        return JvmStorage.of(this, transformer.tokenLogProbsBackward(ls.f, js(logSumExp).doubles(), targets,
                gs.f, vocab));
    }

    /** Blocks copied as they are when every part has the result's precision. */
    @Override
    public Storage concat(Storage[] parts, int[] lengths, int outer, int inner) {
        DType dtype = parts[0].dtype();
        int total = 0;
        for (int p = 0; p < parts.length; p++) {
            total += lengths[p];
            if (parts[p].dtype() != dtype) {
                return TensorBackend.super.concat(parts, lengths, outer, inner);
            }
        }
        Object out = dtype == DType.FLOAT32 ? new float[outer * total * inner] : new double[outer * total * inner];
        int offset = 0;
        for (int p = 0; p < parts.length; p++) {
            JvmStorage s = js(parts[p]);
            Object in = s.f != null ? s.f : s.d;
            int block = lengths[p] * inner;
            for (int o = 0; o < outer; o++) {
                System.arraycopy(in, o * block, out, (o * total + offset) * inner, block);
            }
            offset += lengths[p];
        }
        return dtype == DType.FLOAT32 ? JvmStorage.of(this, (float[]) out) : JvmStorage.of(this, (double[]) out);
    }

    // ---------------------------------------------------------------- matrix product

    @Override
    public Storage matmul(Storage a, boolean transposeA, Storage b, boolean transposeB, int m, int k, int n) {
        return matmul.multiply(a, transposeA, b, transposeB, m, k, n);
    }

    /**
     * Entries of at least {@link #blockedMatmulWork} multiply-adds go one by one through the matrix
     * product's kernels; smaller ones (the bandit's [K, d]·[d, 1] scores) run here in plain loops
     * with no allocation per entry, accumulating in double and rounding once as {@link #matmul} does.
     */
    @Override
    public Storage batchedMatmul(Storage a, boolean transposeA, Storage b, boolean transposeB, int batch, int m,
                                 int k, int n) {
        return batchedMatmul(a, null, transposeA, b, transposeB, batch, m, k, n);
    }

    /** As the plain batched product, reading A's entries where they are: no gathered copy of A is made. */
    @Override
    public Storage batchedMatmul(Storage a, int[] aEntries, boolean transposeA, Storage b, boolean transposeB,
                                 int batch, int m, int k, int n) {
        JvmStorage sa = js(a);
        JvmStorage sb = js(b);
        DType dtype = DType.widest(a.dtype(), b.dtype());
        if ((aEntries == null ? sa.size() != batch * m * k : aEntries.length != batch || (m * k != 0 && sa.size() % (m * k) != 0))
                || sb.size() != batch * k * n) {
            throw new IllegalArgumentException("batchedMatmul of " + batch + " × " + m + "×" + k + "·" + k + "×" + n
                    + " got " + sa.size() + " and " + sb.size() + " elements");
        }
        int size = m * n;
        float[] outF = dtype == DType.FLOAT32 ? new float[batch * size] : null;
        double[] outD = dtype == DType.FLOAT64 ? new double[batch * size] : null;
        if ((long) m * k * n >= blockedMatmulWork && outF != null && sa.f != null && matmul.usesVectorKernel()) {
            // Each entry straight from the operands into its place in the result, entries over threads.
            int aRow = transposeA ? 1 : k;
            int aCol = transposeA ? m : 1;
            int bRow = transposeB ? 1 : n;
            int bCol = transposeB ? k : 1;
            matmul.forEach(batch, (long) batch * m * k * n, i -> matmul.accumulate(sa.f,
                    (aEntries == null ? i : aEntries[i]) * m * k, aRow, aCol, sb.f, i * k * n, bRow, bCol, outF,
                    i * size, n, m, k, n));
        } else if ((long) m * k * n >= blockedMatmulWork) {
            for (int i = 0; i < batch; i++) {
                int ai = aEntries == null ? i : aEntries[i];
                JvmStorage y = js(matmul.multiply(slice(sa, ai * m * k, m * k), transposeA,
                        slice(sb, i * k * n, k * n), transposeB, m, k, n));
                if (outF != null) {
                    System.arraycopy(y.f, 0, outF, i * size, size);
                } else {
                    System.arraycopy(y.doubles(), 0, outD, i * size, size);
                }
            }
        } else {
            double[] acc = new double[size];
            boolean singles = sa.f != null && sb.f != null;
            double[] x = singles ? null : sa.doubles();
            double[] y = singles ? null : sb.doubles();
            for (int i = 0; i < batch; i++) {
                Arrays.fill(acc, 0.0);
                int ao = (aEntries == null ? i : aEntries[i]) * m * k;
                if (singles) {
                    smallProduct(sa.f, ao, transposeA, sb.f, i * k * n, transposeB, m, k, n, acc);
                } else {
                    smallProduct(x, ao, transposeA, y, i * k * n, transposeB, m, k, n, acc);
                }
                int o = i * size;
                if (outF != null) {
                    for (int j = 0; j < size; j++) {
                        outF[o + j] = (float) acc[j];
                    }
                } else {
                    System.arraycopy(acc, 0, outD, o, size);
                }
            }
        }
        return outF != null ? JvmStorage.of(this, outF) : JvmStorage.of(this, outD);
    }

    private JvmStorage slice(JvmStorage s, int from, int length) {
        return s.f != null ? JvmStorage.of(this, Arrays.copyOfRange(s.f, from, from + length))
                : JvmStorage.of(this, Arrays.copyOfRange(s.d, from, from + length));
    }

    /**
     * acc += op(A)·op(B) for one batch entry, A at offset ao and B at offset bo. The loop order keeps
     * the innermost loop on contiguous elements for the bandit's forms: a matrix-vector product
     * (n = 1) and its gradient Aᵀ·g.
     */
    private static void smallProduct(float[] x, int ao, boolean transposeA, float[] y, int bo, boolean transposeB,
                                     int m, int k, int n, double[] acc) {
        int bRow = transposeB ? 1 : n;
        int bCol = transposeB ? k : 1;
        if (transposeA) {
            // A stored k×m: its row p holds column p of op(A).
            for (int p = 0; p < k; p++) {
                int a = ao + p * m;
                for (int j = 0; j < n; j++) {
                    double bv = y[bo + p * bRow + j * bCol];
                    for (int i = 0; i < m; i++) {
                        acc[i * n + j] += x[a + i] * bv;
                    }
                }
            }
        } else if (n > 1 && !transposeB) {
            for (int i = 0; i < m; i++) {
                for (int p = 0; p < k; p++) {
                    double av = x[ao + i * k + p];
                    int b = bo + p * n;
                    for (int j = 0; j < n; j++) {
                        acc[i * n + j] += av * y[b + j];
                    }
                }
            }
        } else {
            dotProducts(x, ao, y, bo, bRow, bCol, m, k, n, acc);
        }
    }

    /**
     * acc[i, j] = Σ_p A[i, p]·B[p, j], A's rows contiguous: four rows at a time, so that four
     * independent sums overlap rather than each waiting on its last addition; every sum still adds
     * its terms in order.
     */
    private static void dotProducts(float[] x, int ao, float[] y, int bo, int bRow, int bCol, int m, int k, int n,
                                    double[] acc) {
        for (int j = 0; j < n; j++) {
            int b = bo + j * bCol;
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                int a0 = ao + i * k;
                int a1 = a0 + k;
                int a2 = a1 + k;
                int a3 = a2 + k;
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                double s3 = 0;
                for (int p = 0; p < k; p++) {
                    double bv = y[b + p * bRow];
                    s0 += x[a0 + p] * bv;
                    s1 += x[a1 + p] * bv;
                    s2 += x[a2 + p] * bv;
                    s3 += x[a3 + p] * bv;
                }
                acc[i * n + j] = s0;
                acc[(i + 1) * n + j] = s1;
                acc[(i + 2) * n + j] = s2;
                acc[(i + 3) * n + j] = s3;
            }
            for (; i < m; i++) {
                int a = ao + i * k;
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    sum += (double) x[a + p] * y[b + p * bRow];
                }
                acc[i * n + j] = sum;
            }
        }
    }

    /** {@link #smallProduct(float[], int, boolean, float[], int, boolean, int, int, int, double[])} in double. */
    private static void smallProduct(double[] x, int ao, boolean transposeA, double[] y, int bo, boolean transposeB,
                                     int m, int k, int n, double[] acc) {
        int bRow = transposeB ? 1 : n;
        int bCol = transposeB ? k : 1;
        if (transposeA) {
            for (int p = 0; p < k; p++) {
                int a = ao + p * m;
                for (int j = 0; j < n; j++) {
                    double bv = y[bo + p * bRow + j * bCol];
                    for (int i = 0; i < m; i++) {
                        acc[i * n + j] += x[a + i] * bv;
                    }
                }
            }
        } else if (n > 1 && !transposeB) {
            for (int i = 0; i < m; i++) {
                for (int p = 0; p < k; p++) {
                    double av = x[ao + i * k + p];
                    int b = bo + p * n;
                    for (int j = 0; j < n; j++) {
                        acc[i * n + j] += av * y[b + j];
                    }
                }
            }
        } else {
            dotProducts(x, ao, y, bo, bRow, bCol, m, k, n, acc);
        }
    }

    /**
     * acc[i, j] = Σ_p A[i, p]·B[p, j], A's rows contiguous: four rows at a time, so that four
     * independent sums overlap rather than each waiting on its last addition; every sum still adds
     * its terms in order.
     */
    private static void dotProducts(double[] x, int ao, double[] y, int bo, int bRow, int bCol, int m, int k, int n,
                                    double[] acc) {
        for (int j = 0; j < n; j++) {
            int b = bo + j * bCol;
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                int a0 = ao + i * k;
                int a1 = a0 + k;
                int a2 = a1 + k;
                int a3 = a2 + k;
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                double s3 = 0;
                for (int p = 0; p < k; p++) {
                    double bv = y[b + p * bRow];
                    s0 += x[a0 + p] * bv;
                    s1 += x[a1 + p] * bv;
                    s2 += x[a2 + p] * bv;
                    s3 += x[a3 + p] * bv;
                }
                acc[i * n + j] = s0;
                acc[(i + 1) * n + j] = s1;
                acc[(i + 2) * n + j] = s2;
                acc[(i + 3) * n + j] = s3;
            }
            for (; i < m; i++) {
                int a = ao + i * k;
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    sum += x[a + p] * y[b + p * bRow];
                }
                acc[i * n + j] = sum;
            }
        }
    }

    @Override
    public boolean allFinite(Storage x) {
        JvmStorage s = js(x);
        if (s.f != null) {
            for (float v : s.f) {
                if (!Float.isFinite(v)) {
                    return false;
                }
            }
            return true;
        }
        for (double v : s.d) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- in place

    @Override
    public void addInPlace(Storage y, Storage x, double alpha) {
        JvmStorage t = js(y);
        JvmStorage s = js(x);
        if (t.f != null && s.f != null) {
            float[] tv = t.f;
            float[] sv = s.f;
            for (int i = 0; i < tv.length; i++) {
                tv[i] = (float) (tv[i] + alpha * sv[i]);
            }
        } else if (t.f != null) {
            double[] sv = s.doubles();
            for (int i = 0; i < t.f.length; i++) {
                t.f[i] = (float) (t.f[i] + alpha * sv[i]);
            }
        } else {
            double[] sv = s.doubles();
            for (int i = 0; i < t.d.length; i++) {
                t.d[i] += alpha * sv[i];
            }
        }
    }

    @Override
    public void scaleInPlace(Storage y, double alpha) {
        JvmStorage t = js(y);
        if (t.f != null) {
            float[] tv = t.f;
            for (int i = 0; i < tv.length; i++) {
                tv[i] = (float) (tv[i] * alpha);
            }
        } else {
            for (int i = 0; i < t.d.length; i++) {
                t.d[i] *= alpha;
            }
        }
    }

    @Override
    public void addcmulInPlace(Storage y, Storage a, Storage b, double value) {
        JvmStorage t = js(y);
        JvmStorage sa = js(a);
        JvmStorage sb = js(b);
        if (t.f != null && sa.f != null && sb.f != null) {
            float[] tv = t.f;
            float[] u = sa.f;
            float[] v = sb.f;
            for (int i = 0; i < tv.length; i++) {
                tv[i] = (float) (tv[i] + value * u[i] * v[i]);
            }
            return;
        }
        double[] u = sa.doubles();
        double[] v = sb.doubles();
        if (t.f != null) {
            for (int i = 0; i < t.f.length; i++) {
                t.f[i] = (float) (t.f[i] + value * u[i] * v[i]);
            }
        } else {
            for (int i = 0; i < t.d.length; i++) {
                t.d[i] += value * u[i] * v[i];
            }
        }
    }

    @Override
    public void addcdivSqrtInPlace(Storage y, Storage a, Storage b, double scale, double eps, double value) {
        JvmStorage t = js(y);
        JvmStorage sa = js(a);
        JvmStorage sb = js(b);
        if (t.f != null && sa.f != null && sb.f != null) {
            float[] tv = t.f;
            float[] u = sa.f;
            float[] v = sb.f;
            for (int i = 0; i < tv.length; i++) {
                // PyTorch keeps the denominator as a float32 tensor; round it the same way.
                double denom = (float) (Math.sqrt(v[i]) * scale + eps);
                tv[i] = (float) (tv[i] + value * u[i] / denom);
            }
            return;
        }
        double[] u = sa.doubles();
        double[] v = sb.doubles();
        if (t.f != null) {
            for (int i = 0; i < t.f.length; i++) {
                double denom = (float) (Math.sqrt(v[i]) * scale + eps);
                t.f[i] = (float) (t.f[i] + value * u[i] / denom);
            }
        } else {
            for (int i = 0; i < t.d.length; i++) {
                t.d[i] += value * u[i] / (Math.sqrt(v[i]) * scale + eps);
            }
        }
    }

    /**
     * The in-place kernels' sequence for each element in one pass: every intermediate is rounded as
     * those kernels round it, so the values are bit for bit the default's.
     */
    @Override
    public void adamStepInPlace(Storage p, Storage g, Storage m, Storage v, AdamStep step) {
        JvmStorage ps = js(p);
        JvmStorage gs = js(g);
        JvmStorage ms = js(m);
        JvmStorage vs = js(v);
        double shrink = step.shrink();
        double l2 = step.l2();
        double beta1 = step.beta1();
        double beta2 = step.beta2();
        double oneMinusBeta1 = 1 - beta1;
        double oneMinusBeta2 = 1 - beta2;
        double scale = step.denominatorScale();
        double eps = step.eps();
        double stepSize = step.stepSize();
        if (ps.f != null && gs.f != null && ms.f != null && vs.f != null) {
            float[] pv = ps.f;
            float[] gv = gs.f;
            float[] mv = ms.f;
            float[] vv = vs.f;
            for (int i = 0; i < pv.length; i++) {
                float w = pv[i];
                if (shrink != 1) {
                    w = (float) (w * shrink);
                }
                float gi = gv[i];
                if (l2 != 0) {
                    gi = (float) (gi + l2 * w);
                }
                float mi = (float) (mv[i] * beta1);
                mi = (float) (mi + oneMinusBeta1 * gi);
                float vi = (float) (vv[i] * beta2);
                vi = (float) (vi + oneMinusBeta2 * gi * gi);
                double denom = (float) (Math.sqrt(vi) * scale + eps);
                pv[i] = (float) (w + stepSize * mi / denom);
                mv[i] = mi;
                vv[i] = vi;
            }
        } else if (ps.d != null && gs.d != null && ms.d != null && vs.d != null) {
            double[] pv = ps.d;
            double[] gv = gs.d;
            double[] mv = ms.d;
            double[] vv = vs.d;
            for (int i = 0; i < pv.length; i++) {
                double w = pv[i];
                if (shrink != 1) {
                    w *= shrink;
                }
                double gi = gv[i];
                if (l2 != 0) {
                    gi += l2 * w;
                }
                double mi = mv[i] * beta1;
                mi += oneMinusBeta1 * gi;
                double vi = vv[i] * beta2;
                vi += oneMinusBeta2 * gi * gi;
                pv[i] = w + stepSize * mi / (Math.sqrt(vi) * scale + eps);
                mv[i] = mi;
                vv[i] = vi;
            }
        } else {
            TensorBackend.super.adamStepInPlace(p, g, m, v, step);
        }
    }

    @Override
    public void copyInPlace(Storage dst, Storage src) {
        JvmStorage t = js(dst);
        JvmStorage s = js(src);
        int n = t.size();
        if (t.f != null && s.f != null) {
            System.arraycopy(s.f, 0, t.f, 0, n);
        } else if (t.d != null && s.d != null) {
            System.arraycopy(s.d, 0, t.d, 0, n);
        } else if (t.f != null) {
            for (int i = 0; i < n; i++) {
                t.f[i] = (float) s.d[i];
            }
        } else {
            for (int i = 0; i < n; i++) {
                t.d[i] = s.f[i];
            }
        }
    }

    JvmStorage js(Storage s) {
        if (s.backend() != this) {
            throw new IllegalArgumentException("storage of backend '" + s.backend().name() + "' given to 'jvm'");
        }
        return (JvmStorage) s;
    }
}
