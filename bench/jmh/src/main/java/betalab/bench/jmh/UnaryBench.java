package betalab.bench.jmh;

import betalab.api.tensor.Backends;
import betalab.api.tensor.DType;
import betalab.api.tensor.Storage;
import betalab.api.tensor.TensorBackend;
import betalab.api.tensor.UnaryOp;
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
 * The stable element-wise functions, forward and backward, on float32: n = 20 (the seed's batch)
 * and n = 131072 (the medium workload's hidden layer, 512×256).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.unsupported,jdk.incubator.vector")
public class UnaryBench {
    @Param({"SOFTPLUS", "LOG_SIGMOID"})
    public UnaryOp op;

    @Param({"20", "131072"})
    public int size;

    @Param({"jvm"})
    public String backend;

    private TensorBackend be;
    private Storage x;
    private Storage y;
    private Storage g;

    @Setup
    public void setUp() {
        be = Backends.named(backend);
        Random r = new Random(2);
        x = be.of(r.doubles(size, -20, 20).toArray(), DType.FLOAT32);
        y = be.unary(op, x);
        g = be.of(r.doubles(size).toArray(), DType.FLOAT32);
    }

    @Benchmark
    public Storage forward() {
        return be.unary(op, x);
    }

    @Benchmark
    public Storage backward() {
        return be.unaryBackward(op, x, y, g);
    }
}
