package betalab.api.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.testkit.GradientCheck;
import java.util.Arrays;
import java.util.function.BiConsumer;
import java.util.function.DoubleUnaryOperator;
import java.util.function.ToDoubleFunction;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What every {@link TensorBackend} must do, checked through {@link Tensor} (values, gradients,
 * in-place updates) against closed forms, naive loops and finite differences. A backend's module
 * extends this class and names its backend; the api test-jar ships it.
 *
 * <p>Values must be correct to a few float32 ulps, or to double precision for float64; float32
 * results must be float-representable. Every value read goes through {@link #read} to check that.
 */
public abstract class BackendConformanceTest {

    /** The backend under test; called once per test. */
    protected abstract TensorBackend backend();

    private static final double[] MIXED_POINTS = {-3, -1.5, -0.3, 0.2, 0.7, 2.5};
    /** Forward values are defined at the kinks of abs and relu too. */
    private static final double[] MIXED_POINTS_AND_ZERO = {-3, -1.5, -0.3, 0, 0.2, 0.7, 2.5};
    private static final double[] POSITIVE_POINTS = {0.05, 0.3, 1, 2.5, 7, 40};
    private static final double[] EXTREMES = {-1e4, -50, 0, 50, 1e4};
    private static final double TINY = Math.exp(-50);
    private static final double LN2 = Math.log(2);

    /** Pairs of operand shapes, each also tried the other way round. */
    private static final int[][][] BROADCAST_CASES = {
        {{2, 3}, {2, 3}},
        {{3, 4}, {4}},
        {{3, 1}, {1, 4}},
        {{}, {2, 3}},
        {{2, 1, 3}, {4, 1}},
    };

    private TensorBackend be;
    private TensorBackend previous;

    @BeforeEach
    void useBackendUnderTest() {
        previous = Backends.current();
        be = backend();
        Backends.use(be);
    }

    @AfterEach
    void restoreBackend() {
        Backends.use(previous);
    }

    // ---------------------------------------------------------------- element-wise functions

    @ParameterizedTest
    @EnumSource(DType.class)
    void unaryValuesMatchClosedForms(DType dtype) {
        for (UnaryOp op : UnaryOp.values()) {
            double[] points = domain(op) == MIXED_POINTS ? MIXED_POINTS_AND_ZERO : POSITIVE_POINTS;
            Tensor x = Tensor.of(dtype, points, 1, points.length);
            double[] xs = read(x);
            Tensor y = x.unary(op);
            assertThat(y.shape()).as(op.name()).containsExactly(1, points.length);
            assertThat(y.dtype()).as(op.name()).isEqualTo(dtype);
            assertClose(read(y), map(xs, v -> value(op, v)), tolerance(dtype), op.name());
            assertThat(read(x)).as(op + " leaves its input alone").containsExactly(xs);
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void stableFunctionsAreExactAtExtremes(DType dtype) {
        Tensor x = Tensor.of(dtype, EXTREMES, EXTREMES.length);
        assertClose(read(x.sigmoid()), new double[] {0, TINY, 0.5, 1, 1}, tolerance(dtype), "sigmoid");
        assertClose(read(x.softplus()), new double[] {0, TINY, LN2, 50, 1e4}, tolerance(dtype), "softplus");
        assertClose(read(x.logSigmoid()), new double[] {-1e4, -50, -LN2, -TINY, 0}, tolerance(dtype),
                "logSigmoid");
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void unaryGradientsMatchFiniteDifferences(DType dtype) {
        for (UnaryOp op : UnaryOp.values()) {
            Tensor x = Tensor.of(dtype, domain(op), 2, 3);
            GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].unary(op)), x);
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void stableFunctionGradientsAreFiniteAtExtremes(DType dtype) {
        for (UnaryOp op : new UnaryOp[] {UnaryOp.SIGMOID, UnaryOp.SOFTPLUS, UnaryOp.LOG_SIGMOID}) {
            Tensor x = Tensor.of(dtype, EXTREMES, EXTREMES.length).asParameter();
            x.unary(op).sum().backward();
            double[] grad = read(x.grad());
            assertThat(Arrays.stream(grad).allMatch(Double::isFinite)).as("%s gradient %s is finite", op, Arrays.toString(grad)).isTrue();
            assertNear(grad, map(EXTREMES, v -> derivative(op, v)), gradientTolerance(dtype), op.name());
        }
    }

    // ---------------------------------------------------------------- binary operators

    @ParameterizedTest
    @EnumSource(DType.class)
    void binaryValuesBroadcast(DType dtype) {
        forEachBroadcastCase((as, bs) -> {
            Tensor a = sample(dtype, 1, as);
            Tensor b = sample(dtype, 2, bs);
            int[] out = Shapes.broadcast(as, bs);
            String what = Arrays.toString(as) + " with " + Arrays.toString(bs);
            for (BinaryOp op : BinaryOp.values()) {
                Tensor y = op == BinaryOp.GREATER ? a.greater(b) : a.binary(op, b);
                assertThat(y.shape()).as(op + " " + what).containsExactly(out);
                assertThat(y.dtype()).isEqualTo(dtype);
                assertClose(read(y), broadcastReference(op, read(a), as, read(b), bs, out), tolerance(dtype),
                        op + " " + what);
            }
        });
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void binaryGradientsMatchFiniteDifferencesForBothOperands(DType dtype) {
        forEachBroadcastCase((as, bs) -> {
            for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV}) {
                GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].binary(op, in[1])),
                        sample(dtype, 3, as), sample(dtype, 4, bs));
            }
        });
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void scalarOperandsKeepTheTensorsPrecision(DType dtype) {
        Tensor x = sample(dtype, 5, 2, 2);
        double[] xs = read(x);
        assertClose(read(x.add(0.5).mul(3.0).sub(1.0).div(4.0)), map(xs, v -> ((v + 0.5) * 3.0 - 1.0) / 4.0),
                tolerance(dtype), "chained scalar arithmetic");
        assertThat(x.mul(3.0).dtype()).isEqualTo(dtype);
    }

    @Test
    void mixedPrecisionWidensToFloat64() {
        Tensor single = Tensor.of(DType.FLOAT32, new double[] {1.0 / 3}, 1);
        Tensor dbl = Tensor.of(DType.FLOAT64, new double[] {1.0 / 3}, 1);
        Tensor sum = single.add(dbl);
        assertThat(sum.dtype()).isEqualTo(DType.FLOAT64);
        assertThat(read(sum)[0]).isEqualTo((double) (float) (1.0 / 3) + 1.0 / 3);
    }

    @Test
    void kernelsMixingPrecisionsComputeInFloat64() {
        double third = 1.0 / 3;
        Storage single = be.of(new double[] {third, third}, DType.FLOAT32);
        Storage dbl = be.of(new double[] {third, third}, DType.FLOAT64);
        double singleThird = (float) third;
        for (UnaryOp op : new UnaryOp[] {UnaryOp.EXP, UnaryOp.SQUARE, UnaryOp.SIGMOID}) {
            Storage gradOfSingle = be.unaryBackward(op, single, be.unary(op, single), dbl);
            Storage gradOfDouble = be.unaryBackward(op, dbl, be.unary(op, dbl), single);
            assertThat(gradOfSingle.dtype()).as(op.name()).isEqualTo(DType.FLOAT64);
            assertThat(gradOfDouble.dtype()).as(op.name()).isEqualTo(DType.FLOAT64);
            assertClose(be.toDoubleArray(gradOfSingle), new double[] {derivative(op, singleThird) * third,
                derivative(op, singleThird) * third}, tolerance(DType.FLOAT32), op.name());
            assertClose(be.toDoubleArray(gradOfDouble), new double[] {derivative(op, third) * singleThird,
                derivative(op, third) * singleThird}, tolerance(DType.FLOAT64), op.name());
        }
        Storage product = be.binary(BinaryOp.MUL, single, new int[] {2}, dbl, new int[] {2}, new int[] {2});
        assertThat(product.dtype()).isEqualTo(DType.FLOAT64);
        assertThat(be.toDoubleArray(product)).containsOnly(singleThird * third);
        Storage matmul = be.matmul(single, false, dbl, false, 1, 2, 1);
        assertThat(matmul.dtype()).isEqualTo(DType.FLOAT64);
        assertThat(be.toDoubleArray(matmul)[0]).isCloseTo(2 * singleThird * third, within(1e-15));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void greaterIsOneOrZeroAndCarriesNoGradient(DType dtype) {
        Tensor a = Tensor.of(dtype, new double[] {1, 2, 3, -1, 2, 5}, 2, 3).asParameter();
        Tensor b = Tensor.of(dtype, new double[] {2, 2, 0}, 3);
        Tensor y = a.greater(b);
        assertThat(read(y)).containsExactly(0, 0, 1, 0, 0, 1);
        assertThat(y.requiresGrad()).isFalse();
        assertThat(y.dtype()).isEqualTo(dtype);
    }

    // ---------------------------------------------------------------- matrix products

    @ParameterizedTest
    @EnumSource(DType.class)
    void matmulMatchesNaiveLoopAndFiniteDifferences(DType dtype) {
        int[][] mkn = {{3, 4, 2}, {1, 3, 1}, {3, 1, 3}, {2, 5, 4}};
        for (int[] s : mkn) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            Tensor a = sample(dtype, 6, m, k);
            Tensor b = sample(dtype, 7, k, n);
            Tensor bt = sample(dtype, 8, n, k);
            String what = m + "x" + k + "x" + n;
            assertClose(read(a.matmul(b)), naiveMatmul(read(a), false, read(b), false, m, k, n), tolerance(dtype),
                    "matmul " + what);
            assertClose(read(a.matmulTransposed(bt)), naiveMatmul(read(a), false, read(bt), true, m, k, n),
                    tolerance(dtype), "matmulTransposed " + what);
            GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].matmul(in[1])), a, b);
            GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].matmulTransposed(in[1])), a, bt);
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void matmulKernelHonoursEveryTransposeCombination(DType dtype) {
        int m = 2;
        int k = 3;
        int n = 4;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                Tensor a = ta ? sample(dtype, 9, k, m) : sample(dtype, 9, m, k);
                Tensor b = tb ? sample(dtype, 10, n, k) : sample(dtype, 10, k, n);
                Tensor y = Tensor.wrap(be.matmul(a.storage(), ta, b.storage(), tb, m, k, n), m, n);
                assertClose(read(y), naiveMatmul(read(a), ta, read(b), tb, m, k, n), tolerance(dtype),
                        "transposeA " + ta + ", transposeB " + tb);
            }
        }
    }

    @Test
    void matmulPropagatesNaNEvenThroughZeros() {
        // 0 · NaN is NaN: a kernel that skips zero entries would hide a NaN from the finite checks.
        Tensor a = Tensor.of(DType.FLOAT64, new double[] {0, 1}, 1, 2);
        Tensor b = Tensor.of(DType.FLOAT64, new double[] {Double.NaN, 1}, 2, 1);
        assertThat(a.matmul(b).item()).isNaN();
        assertThat(a.matmulTransposed(b.reshape(1, 2)).item()).isNaN();
    }

    // ---------------------------------------------------------------- large matrix products

    /**
     * m×k×n products crossing the JVM backend's size thresholds at its default settings: the plain
     * loops below 8192 multiply-adds, the blocked kernels from there, and threads from 2²¹ (split by
     * rows when C is narrow, by columns otherwise). Sizes are off the kernels' register tiles (4×2
     * rows of the double kernel; 6 rows × 32 or 16 columns of the float32 vector kernel) and off or
     * just past their blocks: KC = 128 deep, NC = 512 columns, MC = 256 rows for the double kernel;
     * KC = 256, NC = 1024, MC = 120 for the vector kernel; also within a two-thread part. The
     * gradients' products (m×n×k, k×m×n) cross them in other ways.
     */
    private static final int[][] LARGE_MATMULS = {
        {8, 32, 31},     // 7936: the plain loops, just below the blocked kernels
        {16, 32, 16},    // 8192: the blocked kernels, just at their threshold; narrower than a vector tile
        {33, 129, 17},   // blocked: KC + 1 deep (double), rows and columns off the tiles
        {259, 5, 13},    // blocked: MC + 3 rows (double), 2·MC + 19 (vector)
        {6, 9, 1031},    // blocked: 2·NC + 7 columns (double), NC + 7 (vector)
        {121, 300, 40},  // blocked: MC + 1 rows, KC + 44 deep, one vector tile + 8 columns (vector)
        {131, 257, 67},  // threaded by rows: 2·KC + 1 deep (double), KC + 1 (vector)
        {523, 131, 33},  // threaded by rows: two parts each past MC
        {9, 129, 2053},  // threaded by columns: two parts each past 2·NC (double); one past NC (vector)
        {257, 33, 251},  // threaded by columns: MC + 1 rows (double)
    };

    @ParameterizedTest
    @EnumSource(DType.class)
    void largeMatmulsMatchNaiveLoopsForEveryTransposeCombination(DType dtype) {
        for (int[] s : LARGE_MATMULS) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    Tensor a = ta ? sample(dtype, 16, k, m) : sample(dtype, 16, m, k);
                    Tensor b = tb ? sample(dtype, 17, n, k) : sample(dtype, 17, k, n);
                    Tensor y = Tensor.wrap(be.matmul(a.storage(), ta, b.storage(), tb, m, k, n), m, n);
                    assertThat(y.dtype()).isEqualTo(dtype);
                    assertMatmulClose(read(y), read(a), ta, read(b), tb, m, k, n, matmulTolerance(dtype),
                            String.format("%dx%dx%d %s transposeA %s transposeB %s", m, k, n, dtype, ta, tb));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void largeMatmulGradientsMatchNaiveLoops(DType dtype) {
        for (int[] s : LARGE_MATMULS) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            String what = m + "x" + k + "x" + n + " " + dtype;
            Tensor a = sample(dtype, 18, m, k);
            Tensor b = sample(dtype, 19, k, n);
            Tensor bt = sample(dtype, 20, n, k);
            double[] w = weights(m * n);
            double tolerance = matmulTolerance(dtype);
            // Y = A·B weighted by W (m×n): dA = W·Bᵀ, dB = Aᵀ·W.
            double[][] grads = GradientCheck.autodiff(in -> weightedSum(in[0].matmul(in[1])), a, b);
            assertMatmulClose(grads[0], w, false, read(b), true, m, n, k, tolerance, "dA of matmul " + what);
            assertMatmulClose(grads[1], read(a), true, w, false, k, m, n, tolerance, "dB of matmul " + what);
            // Y = A·Btᵀ: dA = W·Bt, dBt = Wᵀ·A.
            grads = GradientCheck.autodiff(in -> weightedSum(in[0].matmulTransposed(in[1])), a, bt);
            assertMatmulClose(grads[0], w, false, read(bt), false, m, n, k, tolerance,
                    "dA of matmulTransposed " + what);
            assertMatmulClose(grads[1], w, true, read(a), false, n, m, k, tolerance,
                    "dBt of matmulTransposed " + what);
        }
    }

    @Test
    void largeMatmulsMixingPrecisionsComputeInFloat64() {
        for (int[] s : new int[][] {{33, 129, 17}, {131, 257, 67}}) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            String what = m + "x" + k + "x" + n;
            Tensor singleA = sample(DType.FLOAT32, 21, m, k);
            Tensor doubleB = sample(DType.FLOAT64, 22, k, n);
            Tensor y = singleA.matmul(doubleB);
            assertThat(y.dtype()).isEqualTo(DType.FLOAT64);
            assertMatmulClose(read(y), read(singleA), false, read(doubleB), false, m, k, n,
                    matmulTolerance(DType.FLOAT64), what + " float32 · float64");
            Tensor doubleA = sample(DType.FLOAT64, 23, m, k);
            Tensor singleBt = sample(DType.FLOAT32, 24, n, k);
            Tensor yt = doubleA.matmulTransposed(singleBt);
            assertThat(yt.dtype()).isEqualTo(DType.FLOAT64);
            assertMatmulClose(read(yt), read(doubleA), false, read(singleBt), true, m, k, n,
                    matmulTolerance(DType.FLOAT64), what + " float64 · float32ᵀ");
        }
    }

    // ---------------------------------------------------------------- batched matrix products

    /**
     * batch × m×k×n: small entries below the JVM backend's blocked threshold of 8192 multiply-adds
     * (the bandit's matrix-vector form [8, 16]·[16, 1] among them, and 7 rows: its dot products go four
     * rows at a time, then one by one) and entries at and past it, which it runs one by one through its
     * matrix product.
     */
    private static final int[][] BATCHED_MATMULS = {
        {3, 2, 4, 1},
        {2, 3, 1, 2},
        {1, 2, 3, 4},
        {4, 8, 16, 1},
        {2, 7, 5, 3},
        {2, 16, 32, 16},
        {3, 9, 33, 31},
    };

    @ParameterizedTest
    @EnumSource(DType.class)
    void batchedMatmulMatchesNaiveLoopsForEveryTransposeCombination(DType dtype) {
        for (int[] s : BATCHED_MATMULS) {
            int batch = s[0];
            int m = s[1];
            int k = s[2];
            int n = s[3];
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    Tensor a = sample(dtype, 25, batch * m * k);
                    Tensor b = sample(dtype, 26, batch * k * n);
                    Tensor y = Tensor.wrap(be.batchedMatmul(a.storage(), ta, b.storage(), tb, batch, m, k, n),
                            batch * m * n);
                    assertThat(y.dtype()).isEqualTo(dtype);
                    double[] ys = read(y);
                    double[] as = read(a);
                    double[] bs = read(b);
                    for (int e = 0; e < batch; e++) {
                        assertMatmulClose(Arrays.copyOfRange(ys, e * m * n, (e + 1) * m * n),
                                Arrays.copyOfRange(as, e * m * k, (e + 1) * m * k), ta,
                                Arrays.copyOfRange(bs, e * k * n, (e + 1) * k * n), tb, m, k, n, matmulTolerance(dtype),
                                String.format("entry %d of %dx%dx%dx%d %s transposeA %s transposeB %s", e, batch, m,
                                        k, n, dtype, ta, tb));
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void bmmMatchesMatmulPerEntryAndFiniteDifferences(DType dtype) {
        for (int[] s : BATCHED_MATMULS) {
            int batch = s[0];
            int m = s[1];
            int k = s[2];
            int n = s[3];
            String what = batch + "x" + m + "x" + k + "x" + n + " " + dtype;
            Tensor a = sample(dtype, 27, batch, m, k);
            Tensor b = sample(dtype, 28, batch, k, n);
            Tensor bt = sample(dtype, 29, batch, n, k);
            Tensor y = a.bmm(b);
            Tensor yt = a.bmmTransposed(bt);
            assertThat(y.shape()).containsExactly(batch, m, n);
            assertThat(yt.shape()).containsExactly(batch, m, n);
            double[] ys = read(y);
            double[] yts = read(yt);
            for (int e = 0; e < batch; e++) {
                double[] ae = read(a.indexSelect(e));
                assertMatmulClose(Arrays.copyOfRange(ys, e * m * n, (e + 1) * m * n), ae, false,
                        read(b.indexSelect(e)), false, m, k, n, matmulTolerance(dtype), "bmm entry " + e + " of " + what);
                assertMatmulClose(Arrays.copyOfRange(yts, e * m * n, (e + 1) * m * n), ae, false,
                        read(bt.indexSelect(e)), true, m, k, n, matmulTolerance(dtype),
                        "bmmTransposed entry " + e + " of " + what);
            }
            if (m * k * n <= 512) {
                GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].bmm(in[1])), a, b);
                GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].bmmTransposed(in[1])), a, bt);
            } else {
                // Y_e = A_e·B_e weighted by W_e: dA_e = W_e·B_eᵀ, dB_e = A_eᵀ·W_e; dBt_e = W_eᵀ·A_e.
                double[] w = weights(batch * m * n);
                double[][] grads = GradientCheck.autodiff(in -> weightedSum(in[0].bmm(in[1])), a, b);
                double[][] gradsT = GradientCheck.autodiff(in -> weightedSum(in[0].bmmTransposed(in[1])), a, bt);
                double[] as = read(a);
                double[] bs = read(b);
                double[] bts = read(bt);
                for (int e = 0; e < batch; e++) {
                    double[] we = Arrays.copyOfRange(w, e * m * n, (e + 1) * m * n);
                    double[] ae = Arrays.copyOfRange(as, e * m * k, (e + 1) * m * k);
                    String at = " entry " + e + " of " + what;
                    assertMatmulClose(Arrays.copyOfRange(grads[0], e * m * k, (e + 1) * m * k), we, false,
                            Arrays.copyOfRange(bs, e * k * n, (e + 1) * k * n), true, m, n, k, matmulTolerance(dtype),
                            "dA of bmm" + at);
                    assertMatmulClose(Arrays.copyOfRange(grads[1], e * k * n, (e + 1) * k * n), ae, true, we, false,
                            k, m, n, matmulTolerance(dtype), "dB of bmm" + at);
                    assertMatmulClose(Arrays.copyOfRange(gradsT[1], e * n * k, (e + 1) * n * k), we, true, ae, false,
                            n, m, k, matmulTolerance(dtype), "dBt of bmmTransposed" + at);
                }
            }
        }
        assertThatThrownBy(() -> sample(dtype, 1, 2, 3, 4).bmm(sample(dtype, 1, 3, 4, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 3, 4]");
        assertThatThrownBy(() -> sample(dtype, 1, 2, 3, 4).bmm(sample(dtype, 1, 2, 3, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("inner sizes");
        assertThatThrownBy(() -> sample(dtype, 1, 3, 4).bmm(sample(dtype, 1, 4, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rank-3");
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void batchedMatmulOfTableEntriesEqualsTheGatheredProduct(DType dtype) {
        int[] entries = {2, 0, 2, 3};
        for (int[] s : BATCHED_MATMULS) {
            int m = s[1];
            int k = s[2];
            int n = s[3];
            Tensor table = sample(dtype, 40, 4 * m * k);
            Tensor b = sample(dtype, 41, entries.length * k * n);
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    Storage gathered = be.batchedMatmul(be.gatherRows(table.storage(), m * k, entries), ta,
                            b.storage(), tb, entries.length, m, k, n);
                    Storage direct = be.batchedMatmul(table.storage(), entries, ta, b.storage(), tb, entries.length,
                            m, k, n);
                    assertThat(read(Tensor.wrap(direct, direct.size())))
                            .as("%dx%dx%d %s transposeA %s transposeB %s", m, k, n, dtype, ta, tb)
                            .containsExactly(read(Tensor.wrap(gathered, gathered.size())));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void indexSelectBmmEqualsIndexSelectThenBmm(DType dtype) {
        // Entry 2 of the table is read twice, entry 1 never: its gradient is 0.
        int[] index = {2, 0, 2, 3};
        for (int[] s : BATCHED_MATMULS) {
            int m = s[1];
            int k = s[2];
            int n = s[3];
            String what = m + "x" + k + "x" + n + " " + dtype;
            Tensor table = sample(dtype, 42, 4, m, k);
            Tensor b = sample(dtype, 43, index.length, k, n);
            Tensor y = table.indexSelectBmm(index, b);
            assertThat(y.shape()).containsExactly(index.length, m, n);
            assertThat(read(y)).as(what).containsExactly(read(table.indexSelect(index).bmm(b)));
            double[][] fused = GradientCheck.autodiff(in -> weightedSum(in[0].indexSelectBmm(index, in[1])), table, b);
            double[][] composed = GradientCheck.autodiff(in -> weightedSum(in[0].indexSelect(index).bmm(in[1])), table,
                    b);
            assertNear(fused[0], composed[0], tolerance(dtype), "d table of " + what);
            assertNear(fused[1], composed[1], tolerance(dtype), "d operand of " + what);
            assertThat(Arrays.copyOfRange(fused[0], m * k, 2 * m * k)).as("unread entry of " + what).containsOnly(0.0);
            if (m * k * n <= 512) {
                GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].indexSelectBmm(index, in[1])),
                        table, b);
            }
        }
        Tensor table = sample(dtype, 44, 3, 2, 4);
        assertThatThrownBy(() -> table.indexSelectBmm(new int[] {3}, sample(dtype, 45, 1, 4, 1)))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("[3, 2, 4]");
        assertThatThrownBy(() -> table.indexSelectBmm(new int[] {0, 1}, sample(dtype, 45, 1, 4, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one entry per index");
        assertThatThrownBy(() -> table.indexSelectBmm(new int[] {0}, sample(dtype, 45, 1, 3, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("inner sizes");
    }

    @Test
    void bmmMixingPrecisionsComputesInFloat64() {
        for (int[] s : new int[][] {{4, 8, 16, 1}, {2, 16, 32, 16}}) {
            int batch = s[0];
            int m = s[1];
            int k = s[2];
            int n = s[3];
            Tensor a = sample(DType.FLOAT32, 30, batch, m, k);
            Tensor b = sample(DType.FLOAT64, 31, batch, k, n);
            Tensor y = a.bmm(b);
            assertThat(y.dtype()).isEqualTo(DType.FLOAT64);
            double[] ys = read(y);
            for (int e = 0; e < batch; e++) {
                assertMatmulClose(Arrays.copyOfRange(ys, e * m * n, (e + 1) * m * n), read(a.indexSelect(e)), false,
                        read(b.indexSelect(e)), false, m, k, n, matmulTolerance(DType.FLOAT64),
                        "float32 · float64 entry " + e);
            }
        }
    }

    // ---------------------------------------------------------------- reductions and shape

    @ParameterizedTest
    @EnumSource(DType.class)
    void wholeTensorReductions(DType dtype) {
        Tensor x = sample(dtype, 11, 2, 3, 4);
        double[] xs = read(x);
        double total = Arrays.stream(xs).sum();
        Tensor sum = x.sum();
        assertThat(sum.shape()).isEmpty();
        assertClose(read(sum), new double[] {total}, tolerance(dtype), "sum");
        assertClose(read(x.mean()), new double[] {total / xs.length}, tolerance(dtype), "mean");
        GradientCheck.check(gradientTolerance(dtype), in -> in[0].sum(), x);
        GradientCheck.check(gradientTolerance(dtype), in -> in[0].mean(), x);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void axisReductions(DType dtype) {
        int[] shape = {2, 3, 4};
        Tensor x = sample(dtype, 12, shape);
        double[] xs = read(x);
        for (int axis : new int[] {0, 1, 2, -1}) {
            int ax = Shapes.axis(axis, shape.length);
            Tensor sum = x.sum(axis);
            assertThat(sum.shape()).as("axis " + axis).containsExactly(Shapes.without(shape, ax));
            assertClose(read(sum), reduceReference(xs, shape, ax, s -> Arrays.stream(s).sum()), tolerance(dtype),
                    "sum axis " + axis);
            assertClose(read(x.mean(axis)), reduceReference(xs, shape, ax, s -> Arrays.stream(s).average().orElseThrow()),
                    tolerance(dtype), "mean axis " + axis);
            GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].sum(axis)), x);
            GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].mean(axis)), x);
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void logSumExpIsStableForLargeAndInfiniteEntries(DType dtype) {
        double inf = Double.POSITIVE_INFINITY;
        double[] values = {
            1000, 1000, -1,
            -inf, 0, 1,
            -1000, -1000, -1001,
            -inf, -inf, -inf,
        };
        int[] shape = {4, 3};
        Tensor x = Tensor.of(dtype, values, shape);
        double[] rows = {1000 + LN2, Math.log1p(Math.E), -1000 + Math.log(2 + Math.exp(-1)), -inf};
        double[] columns = {1000, 1000, 1 + Math.log1p(Math.exp(-2))};
        assertClose(read(x.logSumExp(1)), rows, tolerance(dtype), "logSumExp rows");
        assertClose(read(x.logSumExp(-1)), rows, tolerance(dtype), "logSumExp axis -1");
        assertClose(read(x.logSumExp(0)), columns, tolerance(dtype), "logSumExp columns");
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void logSumExpGradientIsTheSoftmax(DType dtype) {
        int[] shape = {2, 3, 4};
        Tensor x = sample(dtype, 13, shape);
        for (int axis = 0; axis < shape.length; axis++) {
            int ax = axis;
            assertClose(read(x.logSumExp(ax)), reduceReference(read(x), shape, ax, BackendConformanceTest::logSumExp),
                    tolerance(dtype), "logSumExp axis " + ax);
            GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].logSumExp(ax)), x);
        }
        // An entry of −∞ takes no share of the softmax, and e^100 (beyond float32) does not overflow it.
        // (At 1000 float32 resolves only 6e-5, too coarse for a gradient tolerance.)
        Tensor y = Tensor.of(dtype, new double[] {Double.NEGATIVE_INFINITY, 0, 1, 100, 100, -1}, 2, 3)
                .asParameter();
        y.logSumExp(1).sum().backward();
        double e = Math.E;
        double half = 1 / (2 + Math.exp(-101));
        assertNear(read(y.grad()), new double[] {0, 1 / (1 + e), e / (1 + e), half, half, Math.exp(-101) * half},
                gradientTolerance(dtype), "softmax");
    }

    // ---------------------------------------------------------------- softmax

    @ParameterizedTest
    @EnumSource(DType.class)
    void softmaxAndLogSoftmaxMatchHandComputationsAtAnyMagnitude(DType dtype) {
        double inf = Double.POSITIVE_INFINITY;
        double[] values = {
            1, 2, 3,
            1e4, 1e4, -1e4,
            -1e4, 0, 1e4,
            -1e4, -1e4, -1e4,
            -inf, 0, 0,
        };
        Tensor x = Tensor.of(dtype, values, 5, 3);
        double ln3 = Math.log(3);
        double lse123 = 3 + Math.log1p(Math.exp(-1) + Math.exp(-2));
        double[] logSoftmax = {
            1 - lse123, 2 - lse123, 3 - lse123,
            -LN2, -LN2, -2e4 - LN2,
            -2e4, -1e4, 0,
            -ln3, -ln3, -ln3,
            -inf, -LN2, -LN2,
        };
        double[] softmax = {
            Math.exp(1 - lse123), Math.exp(2 - lse123), Math.exp(3 - lse123),
            0.5, 0.5, 0,
            0, 0, 1,
            1.0 / 3, 1.0 / 3, 1.0 / 3,
            0, 0.5, 0.5,
        };
        for (int axis : new int[] {1, -1}) {
            Tensor logY = x.logSoftmax(axis);
            Tensor y = x.softmax(axis);
            assertThat(logY.shape()).containsExactly(5, 3);
            assertThat(y.shape()).containsExactly(5, 3);
            assertThat(y.dtype()).isEqualTo(dtype);
            assertClose(read(logY), logSoftmax, tolerance(dtype), "logSoftmax axis " + axis);
            assertClose(read(y), softmax, tolerance(dtype), "softmax axis " + axis);
            assertClose(read(y.sum(axis)), new double[] {1, 1, 1, 1, 1}, tolerance(dtype), "softmax row sums");
        }
        // Along the columns, where 1e4 meets −1e4 and −∞.
        Tensor columns = Tensor.of(dtype, transpose(values, 5, 3), 3, 5);
        assertClose(read(columns.softmax(0)), transpose(softmax, 5, 3), tolerance(dtype), "softmax axis 0");
        assertClose(read(columns.logSoftmax(0)), transpose(logSoftmax, 5, 3), tolerance(dtype), "logSoftmax axis 0");
        assertThatThrownBy(() -> x.softmax(2)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void softmaxAlongEveryAxisMatchesDoubleReference(DType dtype) {
        int[] shape = {2, 3, 4};
        Tensor x = sample(dtype, 26, shape);
        double[] xs = read(x);
        for (int axis : new int[] {0, 1, 2, -1, -3}) {
            int ax = Shapes.axis(axis, shape.length);
            double[] logSoftmax = mapSlices(xs, shape, ax, slice -> {
                double lse = logSumExp(slice);
                return Arrays.stream(slice).map(v -> v - lse).toArray();
            });
            assertClose(read(x.logSoftmax(axis)), logSoftmax, tolerance(dtype), "logSoftmax axis " + axis);
            Tensor y = x.softmax(axis);
            assertClose(read(y), map(logSoftmax, Math::exp), tolerance(dtype), "softmax axis " + axis);
            double[] ones = new double[Shapes.size(Shapes.without(shape, ax))];
            Arrays.fill(ones, 1);
            assertClose(read(y.sum(axis)), ones, tolerance(dtype), "softmax sums along axis " + axis);
        }
        double[] vector = {0.5, -2, 3};
        double lse = logSumExp(vector);
        assertClose(read(Tensor.of(dtype, vector, 3).softmax(0)), map(vector, u -> Math.exp(u - lse)),
                tolerance(dtype), "softmax of a vector");
    }

    @Test
    void softmaxGradientsMatchFiniteDifferences() {
        int[] shape = {2, 3, 4};
        Tensor x = sample(DType.FLOAT64, 27, shape);
        for (int axis = 0; axis < shape.length; axis++) {
            int ax = axis;
            GradientCheck.check(in -> weightedSum(in[0].softmax(ax)), x);
            GradientCheck.check(in -> weightedSum(in[0].logSoftmax(ax)), x);
        }
        // Composed with other operations, and on a row of magnitude 1e3 where exp alone would overflow.
        Tensor big = Tensor.of(DType.FLOAT64, new double[] {1000, 999, 1001.5, -1000, 0.25, 3}, 2, 3);
        GradientCheck.check(in -> weightedSum(in[0].mul(in[0]).softmax(1).mul(in[0])), x.reshape(6, 4));
        GradientCheck.check(in -> weightedSum(in[0].softmax(1)), big);
        GradientCheck.check(in -> weightedSum(in[0].logSoftmax(1)), big);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void softmaxGradientsAreExactAtExtremes(DType dtype) {
        double inf = Double.POSITIVE_INFINITY;
        double[] values = {1e4, 1e4, -1e4, -1e4, 0, 1e4, -inf, 0, 0};
        double[][] softmaxRows = {{0.5, 0.5, 0}, {0, 0, 1}, {0, 0.5, 0.5}};
        double[] w = weights(values.length);
        // Σ w·logSoftmax: w_j − softmax_j · Σ_i w_i; Σ w·softmax: softmax_j · (w_j − Σ_i w_i·softmax_i).
        double[] logSoftmaxGrad = new double[values.length];
        double[] softmaxGrad = new double[values.length];
        for (int r = 0; r < 3; r++) {
            double wSum = 0;
            double wMean = 0;
            for (int j = 0; j < 3; j++) {
                wSum += w[r * 3 + j];
                wMean += w[r * 3 + j] * softmaxRows[r][j];
            }
            for (int j = 0; j < 3; j++) {
                double p = softmaxRows[r][j];
                logSoftmaxGrad[r * 3 + j] = w[r * 3 + j] - p * wSum;
                softmaxGrad[r * 3 + j] = p * (w[r * 3 + j] - wMean);
            }
        }
        Tensor x = Tensor.of(dtype, values, 3, 3).asParameter();
        weightedSum(x.logSoftmax(1)).backward();
        assertNear(read(x.grad()), logSoftmaxGrad, gradientTolerance(dtype), "logSoftmax gradient");
        x.zeroGrad();
        weightedSum(x.softmax(1)).backward();
        assertNear(read(x.grad()), softmaxGrad, gradientTolerance(dtype), "softmax gradient");
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void reshapeAndFlattenKeepRowMajorOrder(DType dtype) {
        Tensor x = sample(dtype, 14, 2, 3, 2);
        double[] xs = read(x);
        Tensor r = x.reshape(3, 4);
        assertThat(r.shape()).containsExactly(3, 4);
        assertThat(read(r)).containsExactly(xs);
        assertThat(x.flatten().shape()).containsExactly(12);
        assertThat(read(x.flatten())).containsExactly(xs);
        // Row-major order survives a reshape feeding an axis reduction.
        assertClose(read(x.reshape(3, 4).sum(1)), reduceReference(xs, new int[] {3, 4}, 1, s -> Arrays.stream(s).sum()),
                tolerance(dtype), "sum after reshape");
        GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].reshape(4, 3).matmul(in[0].reshape(3, 4))), x);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void gatherPicksFlatElementsAndScattersGradientsBack(DType dtype) {
        Tensor x = sample(dtype, 15, 2, 3);
        double[] xs = read(x);
        int[] index = {5, 0, 0, 3};
        Tensor picked = x.gather(index);
        assertThat(picked.shape()).containsExactly(index.length);
        assertThat(picked.dtype()).isEqualTo(dtype);
        assertThat(read(picked)).containsExactly(xs[5], xs[0], xs[0], xs[3]);
        // Element 0 is read twice, so its gradient is the sum of both weights; unread ones get 0.
        GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].gather(index)), x);
        assertThatThrownBy(() -> x.gather(6)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void indexSelectTakesRowsAndAddsGradientsBackToThem(DType dtype) {
        Tensor x = sample(dtype, 32, 4, 2, 3);
        double[] xs = read(x);
        int[] index = {3, 0, 3, 1, 3};
        Tensor picked = x.indexSelect(index);
        assertThat(picked.shape()).containsExactly(5, 2, 3);
        assertThat(picked.dtype()).isEqualTo(dtype);
        double[] expected = new double[5 * 6];
        for (int i = 0; i < index.length; i++) {
            System.arraycopy(xs, index[i] * 6, expected, i * 6, 6);
        }
        assertThat(read(picked)).containsExactly(expected);
        // Row 3 is read three times, so its gradient adds three weights; row 2 is never read and gets 0.
        GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].indexSelect(index)), x);
        double[] grad = GradientCheck.autodiff(in -> weightedSum(in[0].indexSelect(index)), x)[0];
        assertThat(Arrays.copyOfRange(grad, 12, 18)).containsOnly(0.0);

        Tensor v = sample(dtype, 33, 5);
        assertThat(read(v.indexSelect(4, 4, 0))).containsExactly(read(v)[4], read(v)[4], read(v)[0]);
        assertThat(v.indexSelect().shape()).containsExactly(0);
        GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].indexSelect(2, 2, 1)), v);
        assertThatThrownBy(() -> x.indexSelect(4)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("[4, 2, 3]");
        assertThatThrownBy(() -> x.indexSelect(-1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> Tensor.full(dtype, 1, new int[0]).indexSelect(0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- transformer operations

    @ParameterizedTest
    @EnumSource(DType.class)
    void permuteTransposeSliceAndConcatMoveElementsAsIndexLoopsSay(DType dtype) {
        Tensor x = sample(dtype, 40, 2, 3, 4, 5);
        double[] xs = read(x);
        Tensor p = x.permute(2, 0, 3, 1);
        assertThat(p.shape()).containsExactly(4, 2, 5, 3);
        double[] ps = read(p);
        for (int a = 0; a < 2; a++) {
            for (int b = 0; b < 3; b++) {
                for (int c = 0; c < 4; c++) {
                    for (int d = 0; d < 5; d++) {
                        assertThat(ps[((c * 2 + a) * 5 + d) * 3 + b]).isEqualTo(xs[((a * 3 + b) * 4 + c) * 5 + d]);
                    }
                }
            }
        }
        assertThat(read(x.transpose(1, -1))).containsExactly(read(x.permute(0, 3, 2, 1)));
        Tensor s = x.slice(2, 1, 3);
        assertThat(s.shape()).containsExactly(2, 3, 2, 5);
        double[] ss = read(s);
        for (int o = 0; o < 6; o++) {
            for (int j = 0; j < 10; j++) {
                assertThat(ss[o * 10 + j]).isEqualTo(xs[o * 20 + 5 + j]);
            }
        }
        Tensor joined = Tensor.concat(2, x.slice(2, 0, 1), x.slice(2, 1, 3), x.slice(-2, 3, 4));
        assertThat(joined.shape()).containsExactly(2, 3, 4, 5);
        assertThat(read(joined)).containsExactly(xs);
        Tensor small = sample(dtype, 41, 2, 3, 2);
        Tensor other = sample(dtype, 42, 2, 1, 2);
        GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].permute(2, 0, 1)), small);
        GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].transpose(0, 2).slice(1, 1, 3)), small);
        GradientCheck.check(gradientTolerance(dtype),
                in -> weightedSum(Tensor.concat(1, in[1], in[0], in[1]).mul(Tensor.concat(1, in[0], in[1], in[1]))),
                small, other);
        assertThatThrownBy(() -> x.permute(0, 1, 1, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> x.slice(1, 2, 4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3, 4, 5]");
        assertThatThrownBy(() -> Tensor.concat(0, small, other)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void dropoutKeepsWithTheGeneratorsDrawsAndScalesTheRest(DType dtype) {
        Tensor x = sample(dtype, 43, 50, 40);
        double[] draws = new betalab.api.random.JavaRng(7).uniform(x.size(), 0, 1);
        Tensor y = x.asParameter().dropout(0.25, new betalab.api.random.JavaRng(7));
        double[] xs = read(x);
        double[] expected = new double[xs.length];
        int kept = 0;
        for (int i = 0; i < xs.length; i++) {
            expected[i] = draws[i] >= 0.25 ? xs[i] / 0.75 : 0;
            kept += draws[i] >= 0.25 ? 1 : 0;
        }
        assertClose(read(y), expected, tolerance(dtype), "dropout");
        assertThat(kept / (double) xs.length).isCloseTo(0.75, within(0.03));
        y.sum().backward();
        assertThat(x.dropout(0, new betalab.api.random.JavaRng(7))).isSameAs(x);
        assertThatThrownBy(() -> x.dropout(1, new betalab.api.random.JavaRng(7)))
                .isInstanceOf(IllegalArgumentException.class);
        GradientCheck.check(gradientTolerance(dtype),
                in -> weightedSum(in[0].dropout(0.5, new betalab.api.random.JavaRng(3))), sample(dtype, 44, 3, 4));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void siluAndGeluOnLongRowsMatchClosedForms(DType dtype) {
        // Long enough for vector loops (and their scalar tails), from −12 to 12.
        double[] xs = new double[3 * 53];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = -12 + 24.0 * i / (xs.length - 1) + 0.01 * Math.sin(i);
        }
        for (UnaryOp op : new UnaryOp[] {UnaryOp.SILU, UnaryOp.GELU_TANH}) {
            Tensor x = Tensor.of(dtype, xs, 3, 53);
            double[] in = read(x);
            assertNear(read(x.unary(op)), map(in, v -> value(op, v)), tolerance(dtype), op.name());
            double[] grad = GradientCheck.autodiff(t -> t[0].unary(op).sum(), x)[0];
            assertNear(grad, map(in, v -> derivative(op, v)), gradientTolerance(dtype), op + " gradient");
        }
    }

    /** Shapes on both sides of the fast paths' thresholds: a few elements, and rows wide enough for vector loops. */
    private static final int[][] NORM_SHAPES = {{3, 5}, {2, 3, 8}, {37, 200}};

    @ParameterizedTest
    @EnumSource(DType.class)
    void normsMatchTheirCompositionFromPrimitives(DType dtype) {
        for (int[] shape : NORM_SHAPES) {
            int width = shape[shape.length - 1];
            Tensor x = sample(dtype, 45, shape);
            Tensor w = sample(dtype, 46, width);
            Tensor b = sample(dtype, 47, width);
            String what = Arrays.toString(shape);
            assertFunctionsAgree(dtype, in -> in[0].rmsNorm(in[1], 1e-6), in -> composedRmsNorm(in[0], in[1], 1e-6),
                    "rmsNorm " + what, x, w);
            assertFunctionsAgree(dtype, in -> in[0].layerNorm(in[1], in[2], 1e-5),
                    in -> composedLayerNorm(in[0], in[1], in[2], 1e-5), "layerNorm " + what, x, w, b);
            if (x.size() < 50) {
                GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].rmsNorm(in[1], 1e-6)), x, w);
                GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].layerNorm(in[1], in[2], 1e-5)),
                        x, w, b);
            }
        }
        assertThatThrownBy(() -> sample(dtype, 1, 2, 3).rmsNorm(sample(dtype, 2, 4), 1e-6))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 3]");
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void ropeRotatesEachHeadsHalvesByItsPositionsAngle(DType dtype) {
        for (int[] c : new int[][] {{5, 2, 4}, {70, 4, 32}}) {
            int rows = c[0];
            int heads = c[1];
            int d = c[2];
            int half = d / 2;
            int maxPositions = rows + 3;
            double[] cos = new double[maxPositions * half];
            double[] sin = new double[cos.length];
            for (int p = 0; p < maxPositions; p++) {
                for (int i = 0; i < half; i++) {
                    double angle = p * Math.pow(10000, -2.0 * i / d);
                    cos[p * half + i] = Math.cos(angle);
                    sin[p * half + i] = Math.sin(angle);
                }
            }
            Tensor cosT = Tensor.of(dtype, cos, maxPositions, half);
            Tensor sinT = Tensor.of(dtype, sin, maxPositions, half);
            int[] positions = new int[rows];
            for (int r = 0; r < rows; r++) {
                positions[r] = (r * 7 + 2) % maxPositions;
            }
            Tensor x = sample(dtype, 48, rows, heads * d);
            double[] xs = read(x);
            double[] cs = read(cosT);
            double[] sn = read(sinT);
            double[] expected = new double[xs.length];
            for (int r = 0; r < rows; r++) {
                for (int h = 0; h < heads; h++) {
                    for (int i = 0; i < half; i++) {
                        int e = r * heads * d + h * d + i;
                        int t = positions[r] * half + i;
                        // rotate_half: x·cos + (−x₂, x₁)·sin
                        expected[e] = xs[e] * cs[t] - xs[e + half] * sn[t];
                        expected[e + half] = xs[e + half] * cs[t] + xs[e] * sn[t];
                    }
                }
            }
            assertNear(read(x.rope(cosT, sinT, positions, d)), expected, tolerance(dtype) * 4, "rope");
            if (rows < 10) {
                GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].rope(cosT.to(in[0].dtype()),
                        sinT.to(in[0].dtype()), positions, d)), x);
            } else {
                // The gradient turns back by the same angle: ⟨rope(x), g⟩ = ⟨x, rope⁻¹(g)⟩.
                double[] grad = GradientCheck.autodiff(in -> weightedSum(in[0].rope(cosT, sinT, positions, d)), x)[0];
                double[] w = weights(xs.length);
                for (int r = 0; r < rows; r++) {
                    for (int h = 0; h < heads; h++) {
                        for (int i = 0; i < half; i++) {
                            int e = r * heads * d + h * d + i;
                            int t = positions[r] * half + i;
                            assertThat(grad[e]).isCloseTo(w[e] * cs[t] + w[e + half] * sn[t], within(1e-5));
                            assertThat(grad[e + half]).isCloseTo(w[e + half] * cs[t] - w[e] * sn[t], within(1e-5));
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void attentionMatchesItsCompositionFromPrimitives(DType dtype) {
        // {batch, queries, keys, heads, kvHeads, headDim}: grouped heads with cached keys, then products
        // past the kernels' thresholds (24·32·24 multiply-adds a head) with many heads to split over threads.
        int[][] cases = {{2, 3, 5, 4, 2, 4}, {1, 4, 4, 2, 2, 2}, {3, 24, 24, 4, 2, 32}, {2, 40, 40, 8, 8, 16}};
        for (int[] c : cases) {
            Attention a = new Attention(c[0], c[1], c[2], c[3], c[4], c[5]);
            Tensor q = sample(dtype, 49, a.batch() * a.queries(), a.queryWidth());
            Tensor k = sample(dtype, 50, a.batch() * a.keys(), a.keyWidth());
            Tensor v = sample(dtype, 51, a.batch() * a.keys(), a.keyWidth());
            boolean[] padding = new boolean[a.batch() * a.keys()];
            for (int i = 0; i < padding.length; i++) {
                // The last sequence's last two keys are padding (every query still sees key 0).
                padding[i] = !(i / a.keys() == a.batch() - 1 && i % a.keys() >= a.keys() - 2);
            }
            for (boolean[] mask : new boolean[][] {null, padding}) {
                String what = a + (mask == null ? "" : " with padding");
                assertFunctionsAgree(dtype, in -> Tensor.attention(in[0], in[1], in[2], a, mask),
                        in -> composedAttention(in[0], in[1], in[2], a, mask), what, q, k, v);
                if (q.size() + k.size() < 200) {
                    GradientCheck.check(gradientTolerance(dtype),
                            in -> weightedSum(Tensor.attention(in[0], in[1], in[2], a, mask)), q, k, v);
                }
            }
        }
        Attention a = new Attention(1, 2, 2, 1, 1, 2);
        boolean[] none = {false, false};
        Tensor masked = Tensor.attention(sample(dtype, 1, 2, 2), sample(dtype, 2, 2, 2), sample(dtype, 3, 2, 2), a, none);
        assertThat(read(masked)).as("a query with no key left").containsOnly(0.0);
        assertThatThrownBy(() -> Tensor.attention(sample(dtype, 1, 2, 4), sample(dtype, 2, 2, 2), sample(dtype, 3, 2, 2),
                a, null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 4]");
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void tokenLogProbsAndCrossEntropyMatchLogSoftmaxThenGather(DType dtype) {
        for (int[] c : new int[][] {{4, 7}, {45, 300}}) {
            int rows = c[0];
            int vocab = c[1];
            int[] targets = new int[rows];
            int[] picked = new int[rows];
            double[] keep = new double[rows];
            for (int r = 0; r < rows; r++) {
                targets[r] = r % 4 == 1 ? -100 : (r * 37 + 3) % vocab;
                picked[r] = r * vocab + Math.max(targets[r], 0);
                keep[r] = targets[r] < 0 ? 0 : 1;
            }
            Tensor logits = sample(dtype, 52, rows, vocab).mul(3.0);
            assertFunctionsAgree(dtype, in -> in[0].tokenLogProbs(targets),
                    in -> in[0].logSoftmax(1).gather(picked).mul(Tensor.of(in[0].dtype(), keep, rows)),
                    "tokenLogProbs " + rows + "×" + vocab, logits);
            int counted = (int) Arrays.stream(keep).sum();
            assertFunctionsAgree(dtype, in -> in[0].crossEntropy(targets),
                    in -> in[0].logSoftmax(1).gather(picked).mul(Tensor.of(in[0].dtype(), keep, rows)).sum()
                            .div(-counted), "crossEntropy", logits);
            if (rows < 10) {
                GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].tokenLogProbs(targets)), logits);
            }
        }
        assertThatThrownBy(() -> sample(dtype, 1, 2, 3).tokenLogProbs(0, 3))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    /**
     * f and its reference agree in value (to a few ulps, for sums of a few hundred terms) and in the
     * gradient of a weighted sum with respect to every input.
     */
    private static void assertFunctionsAgree(DType dtype, java.util.function.Function<Tensor[], Tensor> f,
                                             java.util.function.Function<Tensor[], Tensor> reference, String what,
                                             Tensor... inputs) {
        double tol = dtype == DType.FLOAT32 ? 2e-5 : 1e-12;
        Tensor y = f.apply(inputs);
        assertThat(y.dtype()).as(what).isEqualTo(dtype);
        assertThat(y.shape()).as(what).containsExactly(reference.apply(inputs).shape());
        assertNear(read(y), reference.apply(inputs).toDoubleArray(), tol, what);
        double[][] grads = GradientCheck.autodiff(in -> weightedSum(f.apply(in)), inputs);
        double[][] expected = GradientCheck.autodiff(in -> weightedSum(reference.apply(in)), inputs);
        for (int i = 0; i < inputs.length; i++) {
            assertNear(grads[i], expected[i], tol * 5, what + " gradient " + i);
        }
    }

    private static Tensor composedRmsNorm(Tensor x, Tensor w, double eps) {
        int width = x.dim(-1);
        int rows = x.size() / width;
        Tensor flat = x.reshape(rows, width);
        return flat.div(flat.square().mean(1).add(eps).sqrt().reshape(rows, 1)).mul(w).reshape(x.shape());
    }

    private static Tensor composedLayerNorm(Tensor x, Tensor w, Tensor b, double eps) {
        int width = x.dim(-1);
        int rows = x.size() / width;
        Tensor centred = x.reshape(rows, width).sub(x.reshape(rows, width).mean(1).reshape(rows, 1));
        Tensor std = centred.square().mean(1).add(eps).sqrt().reshape(rows, 1);
        return centred.div(std).mul(w).add(b).reshape(x.shape());
    }

    /** Heads split with permutes, keys repeated per group with indexSelect, an additive mask, softmax, bmm. */
    private static Tensor composedAttention(Tensor q, Tensor k, Tensor v, Attention a, boolean[] keyMask) {
        int b = a.batch();
        int t = a.queries();
        int keys = a.keys();
        int d = a.headDim();
        Tensor qh = q.reshape(b, t, a.heads(), d).permute(0, 2, 1, 3).reshape(b * a.heads(), t, d);
        int[] kvOf = new int[b * a.heads()];
        for (int i = 0; i < kvOf.length; i++) {
            kvOf[i] = (i / a.heads()) * a.kvHeads() + (i % a.heads()) / a.groups();
        }
        Tensor kh = k.reshape(b, keys, a.kvHeads(), d).permute(0, 2, 1, 3).reshape(b * a.kvHeads(), keys, d)
                .indexSelect(kvOf);
        Tensor vh = v.reshape(b, keys, a.kvHeads(), d).permute(0, 2, 1, 3).reshape(b * a.kvHeads(), keys, d)
                .indexSelect(kvOf);
        double[] mask = new double[b * a.heads() * t * keys];
        for (int s = 0; s < b; s++) {
            for (int h = 0; h < a.heads(); h++) {
                for (int i = 0; i < t; i++) {
                    for (int j = 0; j < keys; j++) {
                        boolean hidden = j > a.past() + i || (keyMask != null && !keyMask[s * keys + j]);
                        mask[((s * a.heads() + h) * t + i) * keys + j] = hidden ? Double.NEGATIVE_INFINITY : 0;
                    }
                }
            }
        }
        Tensor probs = qh.bmmTransposed(kh).mul(1 / Math.sqrt(d)).add(Tensor.of(q.dtype(), mask, b * a.heads(), t, keys))
                .softmax(2);
        return probs.bmm(vh).reshape(b, a.heads(), t, d).permute(0, 2, 1, 3).reshape(b * t, a.queryWidth());
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void castingRoundsAndSendsGradientsBackInTheSourcePrecision(DType dtype) {
        DType other = dtype == DType.FLOAT32 ? DType.FLOAT64 : DType.FLOAT32;
        double[] values = {1.0 / 3, 0.1, -2.5e-3, 1 + 1e-12};
        Tensor x = Tensor.of(dtype, values, 4).asParameter();
        Tensor y = x.to(other);
        assertThat(y.dtype()).isEqualTo(other);
        assertThat(read(y)).containsExactly(round(read(x), other));
        assertThat(x.to(dtype)).isSameAs(x);
        weightedSum(y).backward();
        assertThat(x.grad().dtype()).isEqualTo(dtype);
        assertThat(read(x.grad())).containsExactly(round(weights(4), dtype));
    }

    // ---------------------------------------------------------------- precision

    @ParameterizedTest
    @EnumSource(DType.class)
    void valuesCarryTheirDTypesPrecision(DType dtype) {
        double[] values = {0.1, 1.0 / 3, 1 + 1e-12, 3.0e-45};
        Tensor x = Tensor.of(dtype, values, 4);
        assertThat(x.dtype()).isEqualTo(dtype);
        assertThat(read(x)).containsExactly(round(values, dtype));
        double[] xs = read(x);
        double[] squares = read(x.mul(x));
        double[] sums = read(x.add(x.mul(2.0)));
        for (int i = 0; i < xs.length; i++) {
            double exactSquare = round(xs[i] * xs[i], dtype);
            assertThat(squares[i]).as("square %s", xs[i]).isCloseTo(exactSquare, within(ulp(exactSquare, dtype)));
            double exactTriple = round(3 * xs[i], dtype);
            assertThat(sums[i]).as("triple %s", xs[i]).isCloseTo(exactTriple, within(ulp(exactTriple, dtype)));
        }
        assertThat(read(Tensor.full(dtype, 0.1, 2, 2))).containsOnly(round(0.1, dtype));
        assertThat(read(Tensor.zeros(dtype, 3))).containsOnly(0.0);
    }

    // ---------------------------------------------------------------- gradient accumulation

    @ParameterizedTest
    @EnumSource(DType.class)
    void gradientsOfATensorUsedTwiceAddUp(DType dtype) {
        Tensor x = Tensor.of(dtype, new double[] {1.5, -2, 3}, 3).asParameter();
        x.mul(x).sum().backward();
        assertThat(read(x.grad())).containsExactly(3, -4, 6);
        x.zeroGrad();
        x.add(x).sum().backward();
        assertThat(read(x.grad())).containsExactly(2, 2, 2);
        GradientCheck.check(gradientTolerance(dtype), in -> weightedSum(in[0].mul(in[0]).add(in[0].exp().mul(in[0]))), x);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void gradientsAccumulateAcrossBackwardCallsUntilCleared(DType dtype) {
        Tensor x = Tensor.of(dtype, new double[] {1, 2}, 2).asParameter();
        Tensor w = Tensor.of(dtype, new double[] {3, -1}, 2);
        x.mul(w).sum().backward();
        x.mul(w).sum().backward();
        assertThat(read(x.grad())).containsExactly(6, -2);
        x.zeroGrad();
        assertThat(x.grad()).isNull();
        x.mul(w).sum().backward();
        assertThat(read(x.grad())).containsExactly(3, -1);
    }

    // ---------------------------------------------------------------- in-place kernels

    @ParameterizedTest
    @EnumSource(DType.class)
    void inPlaceKernelsUpdateTheirTarget(DType dtype) {
        Tensor y = Tensor.of(dtype, new double[] {1, 2, 3, 4}, 2, 2).asParameter();
        Tensor x = Tensor.of(dtype, new double[] {0.5, -0.25, 2, 0.25}, 2, 2);

        assertThat(y.addInPlace(x, 2)).isSameAs(y);
        assertThat(read(y)).containsExactly(2, 1.5, 7, 4.5);

        y.scaleInPlace(-0.5);
        assertThat(read(y)).containsExactly(-1, -0.75, -3.5, -2.25);

        y.addcmulInPlace(x, Tensor.of(dtype, new double[] {2, 3, 0.5, 4}, 2, 2), 2);
        assertThat(read(y)).containsExactly(1, -2.25, -1.5, -0.25);

        // a / (sqrt(b)·2 + 0.5) is 2 everywhere.
        Tensor a = Tensor.of(dtype, new double[] {9, 13, 17, 3}, 2, 2);
        Tensor b = Tensor.of(dtype, new double[] {4, 9, 16, 0.25}, 2, 2);
        y.addcdivSqrtInPlace(a, b, 2, 0.5, -1);
        assertThat(read(y)).containsExactly(-1, -4.25, -3.5, -2.25);

        double[] thirds = {1.0 / 3, 2.0 / 3, -1.0 / 3, 4.0 / 3};
        y.copyInPlace(Tensor.of(DType.FLOAT64, thirds, 4));
        assertThat(read(y)).containsExactly(round(thirds, dtype));
        assertThat(read(x)).as("operands are left alone").containsExactly(0.5, -0.25, 2, 0.25);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void adamStyleUpdateMatchesDoubleArithmetic(DType dtype) {
        double[] target = {0.3, -0.7, 1.1};
        double[] m = {0.01, -0.2, 0.05};
        double[] v = {1e-4, 0.04, 2.5e-3};
        Tensor y = Tensor.of(dtype, target, 3).asParameter();
        Tensor mt = Tensor.of(dtype, m, 3);
        Tensor vt = Tensor.of(dtype, v, 3);
        double scale = 1 / Math.sqrt(1 - 0.999);
        y.addcdivSqrtInPlace(mt, vt, scale, 1e-8, -1e-3);
        double[] ys = read(Tensor.of(dtype, target, 3));
        double[] ms = read(mt);
        double[] vs = read(vt);
        double[] expected = new double[3];
        for (int i = 0; i < 3; i++) {
            expected[i] = ys[i] - 1e-3 * ms[i] / (Math.sqrt(vs[i]) * scale + 1e-8);
        }
        assertClose(read(y), expected, tolerance(dtype), "addcdivSqrtInPlace");
    }

    /**
     * The fused Adam step gives bit for bit what the in-place kernels give one after another (as
     * {@link TensorBackend#adamStepInPlace}'s default runs them), over three steps, with no decay,
     * Adam's L2 decay and AdamW's decoupled decay.
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void adamStepEqualsTheInPlaceKernelsInSequence(DType dtype) {
        double[][] decays = {{0, 1}, {0.05, 1}, {0, 1 - 1e-3 * 0.01}, {0.05, 0.99}};
        for (double[] decay : decays) {
            double l2 = decay[0];
            double shrink = decay[1];
            // Parameters of the update's size, so that a rounding differing anywhere shows in p.
            Tensor p = sample(dtype, 34, 7).mul(1e-3).asParameter();
            Tensor m = Tensor.zeros(dtype, 7);
            Tensor v = Tensor.zeros(dtype, 7);
            Tensor pRef = sample(dtype, 34, 7).mul(1e-3).asParameter();
            Tensor mRef = Tensor.zeros(dtype, 7);
            Tensor vRef = Tensor.zeros(dtype, 7);
            for (int t = 1; t <= 3; t++) {
                Tensor g = sample(dtype, 35 + t, 7).mul(Math.pow(10, -t));
                double bc1 = 1 - Math.pow(0.9, t);
                double bc2 = 1 - Math.pow(0.999, t);
                AdamStep step = new AdamStep(0.9, 0.999, 1e-8, l2, shrink, -1e-3 / bc1, 1 / Math.sqrt(bc2));
                assertThat(p.adamStepInPlace(g, m, v, step)).isSameAs(p);
                if (shrink != 1) {
                    pRef.scaleInPlace(shrink);
                }
                Tensor gRef = g;
                if (l2 != 0) {
                    gRef = Tensor.zeros(dtype, 7).copyInPlace(g).addInPlace(pRef, l2);
                }
                mRef.scaleInPlace(0.9).addInPlace(gRef, 1 - 0.9);
                vRef.scaleInPlace(0.999).addcmulInPlace(gRef, gRef, 1 - 0.999);
                pRef.addcdivSqrtInPlace(mRef, vRef, 1 / Math.sqrt(bc2), 1e-8, -1e-3 / bc1);
                String what = String.format("step %d, l2 %s, shrink %s", t, l2, shrink);
                assertThat(read(p)).as("p, " + what).containsExactly(read(pRef));
                assertThat(read(m)).as("m, " + what).containsExactly(read(mRef));
                assertThat(read(v)).as("v, " + what).containsExactly(read(vRef));
                assertThat(read(g)).as("g is left alone").containsExactly(read(sample(dtype, 35 + t, 7).mul(Math.pow(10, -t))));
            }
        }
    }

    @Test
    void inPlaceUpdatesOfGraphResultsAreRefused() {
        Tensor x = Tensor.of(DType.FLOAT64, new double[] {1, 2}, 2).asParameter();
        assertThatThrownBy(() -> x.exp().scaleInPlace(2)).isInstanceOf(IllegalStateException.class);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void allFiniteSpotsNaNAndInfinities(DType dtype) {
        double huge = dtype == DType.FLOAT32 ? 3e38 : 1e308;
        assertThat(Tensor.of(dtype, new double[] {huge, huge, -huge}, 3).allFinite()).isTrue();
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            assertThat(Tensor.of(dtype, new double[] {1, bad, 2}, 3).allFinite()).as("with %s", bad).isFalse();
        }
        assertThat(Tensor.of(dtype, new double[] {-1}, 1).log().allFinite()).isFalse();
    }

    // ---------------------------------------------------------------- errors

    @Test
    void mismatchedShapesAreRejectedNamingTheShapes() {
        Tensor a = Tensor.of(DType.FLOAT64, new double[6], 2, 3);
        Tensor b = Tensor.of(DType.FLOAT64, new double[4], 4);
        assertThatThrownBy(() -> a.add(b)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("[2, 3]", "[4]");
        assertThatThrownBy(() -> a.greater(b)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("[2, 3]", "[4]");
        assertThatThrownBy(() -> a.matmul(a)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> a.matmulTransposed(b.reshape(2, 2))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("[2, 3]", "[2, 2]");
        assertThatThrownBy(() -> a.reshape(4, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("[2, 3]", "[4, 2]");
        assertThatThrownBy(() -> a.asParameter().addInPlace(b, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void storageOfAnotherBackendIsRefused() {
        Storage foreign = new betalab.api.tensor.jvm.JvmBackend().of(new double[] {1, 2}, DType.FLOAT64);
        assertThatThrownBy(() -> be.unary(UnaryOp.EXP, foreign)).isInstanceOf(IllegalArgumentException.class);
        Tensor mine = Tensor.of(DType.FLOAT64, new double[] {1, 2}, 2);
        assertThatThrownBy(() -> mine.add(Tensor.wrap(foreign, 2))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tensorsAreMadeOnTheBackendUnderTest() {
        Tensor x = Tensor.vector(1, 2, 3);
        assertThat(x.backend()).isSameAs(be);
        assertThat(x.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(x.storage().size()).isEqualTo(3);
        assertThat(be.name()).isNotBlank();
    }

    // ---------------------------------------------------------------- references

    private static double[] domain(UnaryOp op) {
        return op == UnaryOp.LOG || op == UnaryOp.SQRT ? POSITIVE_POINTS : MIXED_POINTS;
    }

    private static double value(UnaryOp op, double x) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case ABS -> Math.abs(x);
            case SQUARE -> x * x;
            case RELU -> Math.max(x, 0);
            case SIGMOID -> x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
            case TANH -> Math.tanh(x);
            case SOFTPLUS -> Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
            case LOG_SIGMOID -> Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
            case SILU -> x / (1 + Math.exp(-x));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
        };
    }

    private static double derivative(UnaryOp op, double x) {
        return switch (op) {
            case NEG -> -1;
            case EXP -> Math.exp(x);
            case LOG -> 1 / x;
            case SQRT -> 0.5 / Math.sqrt(x);
            case ABS -> Math.signum(x);
            case SQUARE -> 2 * x;
            case RELU -> x > 0 ? 1 : 0;
            case SIGMOID -> value(UnaryOp.SIGMOID, x) * value(UnaryOp.SIGMOID, -x);
            case TANH -> 1 - Math.tanh(x) * Math.tanh(x);
            case SOFTPLUS -> value(UnaryOp.SIGMOID, x);
            case LOG_SIGMOID -> value(UnaryOp.SIGMOID, -x);
            // d/dx x·σ(x) and d/dx of GELU's tanh form, written out independently of the kernels
            case SILU -> value(UnaryOp.SIGMOID, x) + x * value(UnaryOp.SIGMOID, x) * value(UnaryOp.SIGMOID, -x);
            case GELU_TANH -> {
                double c = Math.sqrt(2 / Math.PI);
                double u = c * (x + 0.044715 * x * x * x);
                double sech2 = 1 / (Math.cosh(u) * Math.cosh(u));
                yield 0.5 * (1 + Math.tanh(u)) + 0.5 * x * sech2 * c * (1 + 3 * 0.044715 * x * x);
            }
        };
    }

    private static double[] broadcastReference(BinaryOp op, double[] a, int[] as, double[] b, int[] bs, int[] out) {
        double[] y = new double[Shapes.size(out)];
        for (int i = 0; i < y.length; i++) {
            double u = a[sourceIndex(i, out, as)];
            double v = b[sourceIndex(i, out, bs)];
            y[i] = switch (op) {
                case ADD -> u + v;
                case SUB -> u - v;
                case MUL -> u * v;
                case DIV -> u / v;
                case GREATER -> u > v ? 1 : 0;
            };
        }
        return y;
    }

    /** The element of a tensor of {@code shape} that lands on flat index {@code i} of {@code out}. */
    private static int sourceIndex(int i, int[] out, int[] shape) {
        int index = 0;
        int stride = 1;
        for (int d = out.length - 1, s = shape.length - 1; d >= 0; d--, s--) {
            int coordinate = i % out[d];
            i /= out[d];
            if (s >= 0) {
                index += (shape[s] == 1 ? 0 : coordinate) * stride;
                stride *= shape[s];
            }
        }
        return index;
    }

    /**
     * Fails unless every element of {@code actual} is within {@code relative} · Σ_p |op(A)_ip·op(B)_pj|
     * of op(A)·op(B) computed by the naive triple loop in double: the scale of the rounding errors of
     * any order of accumulation, where a lost, doubled or misplaced term errs by a whole product.
     * Reports how many elements are off and the worst one, in one assertion (outputs are large).
     */
    private static void assertMatmulClose(double[] actual, double[] a, boolean ta, double[] b, boolean tb, int m,
                                          int k, int n, double relative, String what) {
        // op(A) and op(B) row-major, so the i-p-j loop below reads both along their rows.
        double[] opA = ta ? transpose(a, k, m) : a;
        double[] opB = tb ? transpose(b, n, k) : b;
        double[] expected = new double[m * n];
        double[] scale = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                double av = opA[i * k + p];
                for (int j = 0; j < n; j++) {
                    double product = av * opB[p * n + j];
                    expected[i * n + j] += product;
                    scale[i * n + j] += Math.abs(product);
                }
            }
        }
        assertThat(actual).as(what).hasSize(m * n);
        int off = 0;
        int worst = -1;
        double worstRatio = 0;
        for (int e = 0; e < expected.length; e++) {
            double error = Math.abs(actual[e] - expected[e]);
            double ratio = error / (relative * scale[e]);
            if (!(error <= relative * scale[e])) {
                off++;
                if (worst < 0 || !(ratio <= worstRatio)) {
                    worst = e;
                    worstRatio = ratio;
                }
            }
        }
        String worstElement = worst < 0 ? "" : String.format("; worst [%d, %d]: %s, expected %s (scale %s)",
                worst / n, worst % n, actual[worst], expected[worst], scale[worst]);
        assertThat(off).as("%s: %d of %d elements off%s", what, off, expected.length, worstElement).isZero();
    }

    /** The cols×rows transpose of a row-major rows×cols matrix. */
    private static double[] transpose(double[] x, int rows, int cols) {
        double[] t = new double[x.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = x[r * cols + c];
            }
        }
        return t;
    }

    private static double[] naiveMatmul(double[] a, boolean ta, double[] b, boolean tb, int m, int k, int n) {
        double[] y = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                }
                y[i * n + j] = s;
            }
        }
        return y;
    }

    /** Applies {@code f} to every slice along {@code axis}, in row-major order of the remaining axes. */
    private static double[] reduceReference(double[] x, int[] shape, int axis, ToDoubleFunction<double[]> f) {
        int len = shape[axis];
        int inner = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        int outer = x.length / (len * inner);
        double[] y = new double[outer * inner];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                double[] slice = new double[len];
                for (int j = 0; j < len; j++) {
                    slice[j] = x[(o * len + j) * inner + i];
                }
                y[o * inner + i] = f.applyAsDouble(slice);
            }
        }
        return y;
    }

    /** Applies {@code f} to every slice along {@code axis} and puts its results where the slice was. */
    private static double[] mapSlices(double[] x, int[] shape, int axis, UnaryOperator<double[]> f) {
        int len = shape[axis];
        int inner = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        int outer = x.length / (len * inner);
        double[] y = new double[x.length];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                double[] slice = new double[len];
                for (int j = 0; j < len; j++) {
                    slice[j] = x[(o * len + j) * inner + i];
                }
                double[] mapped = f.apply(slice);
                for (int j = 0; j < len; j++) {
                    y[(o * len + j) * inner + i] = mapped[j];
                }
            }
        }
        return y;
    }

    private static double logSumExp(double[] slice) {
        double max = Arrays.stream(slice).max().orElseThrow();
        return max + Math.log(Arrays.stream(slice).map(v -> Math.exp(v - max)).sum());
    }

    // ---------------------------------------------------------------- helpers

    /** Relative accuracy asked of values: a few float32 ulps, or double precision less a few digits. */
    private static double tolerance(DType dtype) {
        return dtype == DType.FLOAT32 ? 2e-6 : 1e-12;
    }

    /**
     * Matrix products against Σ|a·b| of each element: float32 accumulated in float32 (as BLAS sgemm
     * does) errs by about √k·2⁻²⁴ ≤ 3e-6 of it at the depths k ≤ 2053 tested, a lost or misplaced term
     * by about 1/k ≥ 5e-4.
     */
    private static double matmulTolerance(DType dtype) {
        return dtype == DType.FLOAT32 ? 1e-5 : 1e-12;
    }

    /** Float32 autodiff against float64 finite differences; float64 against the checker's default. */
    private static double gradientTolerance(DType dtype) {
        return dtype == DType.FLOAT32 ? 1e-5 : GradientCheck.FLOAT64_TOLERANCE;
    }

    /** The tensor's values, after checking that float32 ones are float-representable. */
    private static double[] read(Tensor t) {
        double[] v = t.toDoubleArray();
        assertThat(v).hasSize(Shapes.size(t.shape()));
        if (t.dtype() == DType.FLOAT32) {
            for (double d : v) {
                assertThat(Double.isNaN(d) || (double) (float) d == d).as("%s is a float", d).isTrue();
            }
        }
        return v;
    }

    /** Relative closeness; infinities and NaN must match exactly, and an expected 0 means ±0. */
    private static void assertClose(double[] actual, double[] expected, double relative, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            String at = what + " [" + i + "]";
            if (!Double.isFinite(expected[i])) {
                assertThat(actual[i]).as(at).isEqualTo(expected[i]);
            } else {
                assertThat(actual[i]).as(at).isCloseTo(expected[i], within(relative * Math.abs(expected[i])));
            }
        }
    }

    /** Closeness relative to max(1, |expected|): the measure for gradients, which may cancel to near 0. */
    private static void assertNear(double[] actual, double[] expected, double tolerance, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as(what + " [" + i + "]")
                    .isCloseTo(expected[i], within(tolerance * Math.max(1, Math.abs(expected[i]))));
        }
    }

    /** A loss that weights each element differently, so a gradient sent to the wrong element shows. */
    private static Tensor weightedSum(Tensor y) {
        return y.mul(Tensor.of(y.dtype(), weights(y.size()), y.shape())).sum();
    }

    private static double[] weights(int n) {
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = 0.25 * ((i * 5) % 9 - 4) + (i % 2 == 0 ? 0.125 : -0.375);
        }
        return w;
    }

    /** Deterministic values of magnitude 0.2 to 2 (never near 0, so they can divide). */
    private static Tensor sample(DType dtype, int seed, int... shape) {
        double[] v = new double[Shapes.size(shape)];
        for (int i = 0; i < v.length; i++) {
            double s = Math.sin(1.3 * i + 0.7 * seed);
            v[i] = Math.copySign(0.2 + 1.8 * Math.abs(s), s);
        }
        return Tensor.of(dtype, v, shape);
    }

    private static void forEachBroadcastCase(BiConsumer<int[], int[]> test) {
        for (int[][] c : BROADCAST_CASES) {
            test.accept(c[0], c[1]);
            test.accept(c[1], c[0]);
        }
    }

    private static double[] map(double[] x, DoubleUnaryOperator f) {
        return Arrays.stream(x).map(f).toArray();
    }

    private static double round(double v, DType dtype) {
        return dtype == DType.FLOAT32 ? (float) v : v;
    }

    private static double[] round(double[] v, DType dtype) {
        return map(v, d -> round(d, dtype));
    }

    private static double ulp(double v, DType dtype) {
        return dtype == DType.FLOAT32 ? Math.ulp((float) v) : Math.ulp(v);
    }
}
