package betalab.tensor.nd4j;

import betalab.api.tensor.BinaryOp;
import betalab.api.tensor.DType;
import betalab.api.tensor.Shapes;
import betalab.api.tensor.Storage;
import betalab.api.tensor.TensorBackend;
import betalab.api.tensor.UnaryOp;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.longer.MatchCondition;
import org.nd4j.linalg.api.ops.impl.transforms.custom.GreaterThan;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.SigmoidDerivative;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.TanhDerivative;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.ThresholdReluBp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.DivOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.api.ops.impl.transforms.same.Square;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The ND4J backend: every kernel is one or a few native ND4J calls on whole arrays (FLOAT for
 * float32, DOUBLE for float64). A native call costs microseconds, so this engine pays off only for
 * large tensors; its priority is below the JVM backend's so it runs only when asked for.
 *
 * <p>Nothing here touches ND4J until the first kernel runs, so listing backends stays cheap.
 */
public final class Nd4jBackend implements TensorBackend {

    private static final double LN2 = Math.log(2);
    private static final double GELU_C = Math.sqrt(2 / Math.PI);
    private static final double GELU_A = 0.044715;

    @Override
    public String name() {
        return "nd4j";
    }

    @Override
    public int priority() {
        return 50;
    }

    @Override
    public Storage of(double[] values, DType dtype) {
        return storage(Nd4j.create(values, new long[] {values.length}, type(dtype)));
    }

    @Override
    public Storage full(int size, double value, DType dtype) {
        return storage(Nd4j.valueArrayOf(new long[] {size}, value, type(dtype)));
    }

    @Override
    public double[] toDoubleArray(Storage storage) {
        return view(storage, storage.size()).toDoubleVector();
    }

    @Override
    public Storage cast(Storage storage, DType dtype) {
        INDArray x = array(storage);
        // castTo hands back the same array when the type already matches; a kernel returns new storage.
        return storage(x.dataType() == type(dtype) ? x.dup() : x.castTo(type(dtype)));
    }

    @Override
    public Storage unary(UnaryOp op, Storage x) {
        INDArray in = array(x);
        return storage(switch (op) {
            case NEG -> in.neg();
            case EXP -> Transforms.exp(in, true);
            case LOG -> Transforms.log(in, true);
            case SQRT -> Transforms.sqrt(in, true);
            case ABS -> Transforms.abs(in, true);
            case SQUARE -> Nd4j.exec(new Square(in, in.ulike()));
            case RELU -> Transforms.relu(in, true);
            case SIGMOID -> Transforms.sigmoid(in, true);
            case TANH -> Transforms.tanh(in, true);
            // ND4J's own softplus and log-sigmoid overflow at |x| = 1e4; these forms do not.
            case SOFTPLUS -> axpy(2, halfLog1pExpNegAbs(in), Transforms.relu(in, true));
            case LOG_SIGMOID -> axpy(-2, halfLog1pExpNegAbs(in), Transforms.min(in, 0.0, true));
            case SILU -> Transforms.sigmoid(in, true).muli(in);
            // ½(1 + tanh u) = σ(2u), which keeps its digits where tanh u nears −1
            case GELU_TANH -> Transforms.sigmoid(geluInner(in).muli(2), false).muli(in);
        });
    }

    /**
     * ½·log(1 + e^−|x|), accurate also where it shrinks towards e^−|x|. ND4J's log1p is log(1 + t),
     * which loses those digits, so this uses log1p(t) = 2·atanh(t / (2 + t)), where
     * t / (2 + t) = σ(−|x| − ln 2) for t = e^−|x|, and ND4J's atanh and sigmoid are accurate.
     */
    private static INDArray halfLog1pExpNegAbs(INDArray x) {
        INDArray shifted = Transforms.abs(x, true).rsubi(-LN2);
        return Transforms.atanh(Transforms.sigmoid(shifted, false), false);
    }

    /** √(2/π)·(x + 0.044715·x³), the argument of GELU's tanh. */
    private static INDArray geluInner(INDArray x) {
        return x.mul(x).muli(GELU_A).addi(1).muli(x).muli(GELU_C);
    }

    @Override
    public Storage unaryBackward(UnaryOp op, Storage x, Storage y, Storage gradY) {
        DataType t = widest(x, gradY);
        long[] shape = array(x).shape();
        INDArray in = view(x, t, shape);
        INDArray out = view(y, t, shape);
        INDArray g = view(gradY, t, shape);
        return storage(switch (op) {
            case NEG -> g.neg();
            case EXP -> g.mul(out);
            case LOG -> g.div(in);
            case SQRT -> g.div(out).muli(0.5);
            case ABS -> Transforms.sign(in, true).muli(g);
            case SQUARE -> in.mul(g).muli(2);
            case RELU -> Nd4j.exec(new ThresholdReluBp(in, g, in.ulike(), 0.0))[0];
            case SIGMOID -> Nd4j.exec(new SigmoidDerivative(in, g, in.ulike()))[0];
            case TANH -> Nd4j.exec(new TanhDerivative(in, g, in.ulike()))[0];
            case SOFTPLUS -> Transforms.sigmoid(in, true).muli(g);
            case LOG_SIGMOID -> Transforms.sigmoid(in.neg(), false).muli(g);
            // σ(x)·(1 + x·(1 − σ(x)))
            case SILU -> {
                INDArray s = Transforms.sigmoid(in, true);
                yield s.rsub(1).muli(in).addi(1).muli(s).muli(g);
            }
            // s + 2x·s(1 − s)·c(1 + 3a·x²) with s = σ(2u), u = c(x + a·x³): the tanh form's derivative
            case GELU_TANH -> {
                INDArray sg = Transforms.sigmoid(geluInner(in).muli(2), false);
                INDArray slope = in.mul(in).muli(3 * GELU_A).addi(1).muli(2 * GELU_C).muli(in)
                        .muli(sg.rsub(1)).muli(sg);
                yield sg.addi(slope).muli(g);
            }
        });
    }

    @Override
    public Storage binary(BinaryOp op, Storage a, int[] aShape, Storage b, int[] bShape, int[] outShape) {
        DataType t = widest(a, b);
        // Equal ranks keep ND4J's broadcasting to the plain NumPy rule.
        INDArray x = view(a, t, padded(aShape, outShape.length));
        INDArray y = view(b, t, padded(bShape, outShape.length));
        // Same shapes take ND4J's plain pairwise ops, about half the cost of its broadcasting ones.
        boolean same = Arrays.equals(x.shape(), y.shape());
        return storage(switch (op) {
            case ADD -> same ? x.add(y) : Nd4j.exec(new AddOp(x, y))[0];
            case SUB -> same ? x.sub(y) : Nd4j.exec(new SubOp(x, y))[0];
            case MUL -> same ? x.mul(y) : Nd4j.exec(new MulOp(x, y))[0];
            case DIV -> same ? x.div(y) : Nd4j.exec(new DivOp(x, y))[0];
            case GREATER -> Nd4j.exec(new GreaterThan(x, y))[0].castTo(t);
        });
    }

    @Override
    public Storage sumTo(Storage x, int[] shape, int[] targetShape) {
        if (Shapes.size(targetShape) == x.size()) {
            return x;
        }
        long[] target = padded(targetShape, shape.length);
        int[] axes = IntStream.range(0, shape.length).filter(d -> target[d] == 1 && shape[d] != 1).toArray();
        return storage(view(x, padded(shape, shape.length)).sum(axes));
    }

    @Override
    public Storage broadcastTo(Storage x, int[] shape, int[] outShape) {
        if (Shapes.size(outShape) == x.size()) {
            return x;
        }
        return storage(view(x, padded(shape, outShape.length)).broadcast(padded(outShape, outShape.length)));
    }

    @Override
    public Storage sumAxis(Storage x, int[] shape, int axis) {
        return storage(view(x, padded(shape, shape.length)).sum(axis));
    }

    @Override
    public Storage logSumExpAxis(Storage x, int[] shape, int axis) {
        // ND4J's reduce_logsumexp returns −∞ for a slice holding any −∞, so compose it.
        INDArray in = view(x, padded(shape, shape.length));
        INDArray max = in.max(true, axis);
        // A slice of ±∞ has no finite shift; shifting by 0 leaves its ±∞ result intact.
        BooleanIndexing.replaceWhere(max, 0.0, Conditions.isInfinite());
        INDArray sumExp = Transforms.exp(Nd4j.exec(new SubOp(in, max))[0], false).sum(true, axis);
        return storage(Transforms.log(sumExp, false).addi(max));
    }

    @Override
    public Storage matmul(Storage a, boolean transposeA, Storage b, boolean transposeB, int m, int k, int n) {
        DataType t = widest(a, b);
        INDArray x = transposeA ? view(a, t, k, m) : view(a, t, m, k);
        INDArray y = transposeB ? view(b, t, n, k) : view(b, t, k, n);
        return storage(Nd4j.gemm(x, y, transposeA, transposeB));
    }

    @Override
    public boolean allFinite(Storage x) {
        return Nd4j.getExecutioner().exec(new MatchCondition(array(x), Conditions.notFinite())).getInt(0) == 0;
    }

    @Override
    public void addInPlace(Storage y, Storage x, double alpha) {
        INDArray target = array(y);
        axpy(alpha, view(x, target.dataType(), target.shape()), target);
    }

    @Override
    public void scaleInPlace(Storage y, double alpha) {
        array(y).muli(alpha);
    }

    @Override
    public void addcmulInPlace(Storage y, Storage a, Storage b, double value) {
        INDArray target = array(y);
        DataType t = target.dataType();
        axpy(value, view(a, t, target.shape()).mul(view(b, t, target.shape())), target);
    }

    @Override
    public void addcdivSqrtInPlace(Storage y, Storage a, Storage b, double scale, double eps, double value) {
        INDArray target = array(y);
        DataType t = target.dataType();
        INDArray denominator = Transforms.sqrt(view(b, t, target.shape()), true).muli(scale).addi(eps);
        axpy(value, denominator.rdivi(view(a, t, target.shape())), target);
    }

    @Override
    public void copyInPlace(Storage dst, Storage src) {
        INDArray target = array(dst);
        target.assign(view(src, target.shape()));
    }

    // ---------------------------------------------------------------- helpers

    /** y ← y + alpha·x in one BLAS call; returns y. */
    private static INDArray axpy(double alpha, INDArray x, INDArray y) {
        Nd4j.getBlasWrapper().level1().axpy(y.length(), alpha, x, y);
        return y;
    }

    /** Wraps a kernel's result as it came out: the next kernel most likely wants that shape again. */
    private Storage storage(INDArray result) {
        return new Nd4jStorage(this, result.isView() || result.ordering() != 'c' ? result.dup('c') : result);
    }

    private INDArray array(Storage s) {
        if (s.backend() != this) {
            throw new IllegalArgumentException("storage of backend '" + s.backend().name() + "' given to 'nd4j'");
        }
        return ((Nd4jStorage) s).array;
    }

    /**
     * The storage's elements in a row-major shape. ND4J's reshape costs about as much as a small
     * kernel, so it is skipped when the array already has the shape.
     */
    private INDArray view(Storage s, long... shape) {
        return view(s, array(s).dataType(), shape);
    }

    /** As {@link #view(Storage, long...)} in type t, copying only when the type differs. */
    private INDArray view(Storage s, DataType t, long... shape) {
        INDArray a = array(s).castTo(t);
        return Arrays.equals(a.shape(), shape) ? a : a.reshape(shape);
    }

    private static DataType type(DType dtype) {
        return dtype == DType.FLOAT64 ? DataType.DOUBLE : DataType.FLOAT;
    }

    private static DataType widest(Storage a, Storage b) {
        return type(DType.widest(a.dtype(), b.dtype()));
    }

    /** The shape as longs with leading 1s up to {@code rank} (at least 1: ND4J handles rank 0 unevenly). */
    private static long[] padded(int[] shape, int rank) {
        long[] out = new long[Math.max(rank, 1)];
        Arrays.fill(out, 1);
        for (int i = 0; i < shape.length; i++) {
            out[out.length - shape.length + i] = shape[i];
        }
        return out;
    }
}
