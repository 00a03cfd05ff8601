package betalab.bench.jmh;

import betalab.api.tensor.Backends;
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
 * One float32 matrix product through the backend SPI, as the layers use it: "NT" is a linear
 * layer's forward x·Wᵀ, "TN" its weight gradient gᵀ·x, "NN" the input gradient g·W. The shapes
 * are the seed's first layer (20×5×10), the medium workload's (512×1024×256) and the transformer's
 * (projections 768×128×384 and 768×128×512, one head's attention scores 64×32×64); GFLOP/s =
 * 2·m·k·n / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.unsupported,jdk.incubator.vector")
public class MatmulBench {
    @Param({"20x5x10", "512x1024x256", "768x128x384", "768x128x512", "64x32x64"})
    public String shape;

    @Param({"NT", "TN", "NN"})
    public String form;

    @Param({"jvm"})
    public String backend;

    private TensorBackend be;
    private Storage a;
    private Storage b;
    private int m;
    private int k;
    private int n;
    private boolean ta;
    private boolean tb;

    @Setup
    public void setUp() {
        String[] s = shape.split("x");
        m = Integer.parseInt(s[0]);
        k = Integer.parseInt(s[1]);
        n = Integer.parseInt(s[2]);
        ta = form.charAt(0) == 'T';
        tb = form.charAt(1) == 'T';
        be = Backends.named(backend);
        Random r = new Random(1);
        a = be.of(r.doubles(m * k).toArray(), DType.FLOAT32);
        b = be.of(r.doubles(k * n).toArray(), DType.FLOAT32);
    }

    @Benchmark
    public Storage matmul() {
        return be.matmul(a, ta, b, tb, m, k, n);
    }
}
