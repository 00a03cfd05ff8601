package betalab.bench.jmh;

import betalab.api.tensor.Backends;
import betalab.api.tensor.BinaryOp;
import betalab.api.tensor.DType;
import betalab.api.tensor.Storage;
import betalab.api.tensor.TensorBackend;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The bandit's element-wise kernels at its shapes, float32: the broadcast product
 * [256, 8, 16] · [256, 1, 16] of the bandit policies' scores, the same product without broadcasting, the sum
 * over the last axis, and the gradient's reduction back to [256, 1, 16].
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.unsupported,jdk.incubator.vector")
public class BroadcastBench {
    private static final int[] FULL = {256, 8, 16};
    private static final int[] ROW = {256, 1, 16};
    private static final int[] SUMMED = {256, 8, 1};

    @Param({"jvm"})
    public String backend;

    @Param({"FLOAT32"})
    public DType dtype;

    private TensorBackend be;
    private Storage full;
    private Storage full2;
    private Storage row;

    @Setup
    public void setUp() {
        be = Backends.named(backend);
        Random r = new Random(4);
        full = be.of(r.doubles(256 * 8 * 16).toArray(), dtype);
        full2 = be.of(r.doubles(256 * 8 * 16).toArray(), dtype);
        row = be.of(r.doubles(256 * 16).toArray(), dtype);
    }

    @Benchmark
    public Storage broadcastMul() {
        return be.binary(BinaryOp.MUL, full, FULL, row, ROW, FULL);
    }

    @Benchmark
    public Storage sameShapeMul() {
        return be.binary(BinaryOp.MUL, full, FULL, full2, FULL, FULL);
    }

    @Benchmark
    public Storage sumLastAxis() {
        return be.sumTo(full, FULL, SUMMED);
    }

    @Benchmark
    public Storage sumToRow() {
        return be.sumTo(full, FULL, ROW);
    }

    @Benchmark
    public Storage broadcastFromSummed() {
        return be.broadcastTo(be.sumTo(full, FULL, SUMMED), SUMMED, FULL);
    }
}
