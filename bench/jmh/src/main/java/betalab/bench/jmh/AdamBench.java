package betalab.bench.jmh;

import betalab.api.nn.Activation;
import betalab.api.nn.Mlp;
import betalab.api.optim.Optimizer;
import betalab.api.random.Rng;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.Map;
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
 * One Adam step (torch.optim.Adam's arithmetic, lr 0.01) over every parameter of the seed's β
 * network (5 → 10 → 1, 71 parameters) or the medium workload's (1024 → 256 → 1, 262,657), with
 * gradients from one backward pass held fixed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.unsupported,jdk.incubator.vector")
public class AdamBench {
    @Param({"5x10", "1024x256"})
    public String net;

    private Optimizer adam;

    @Setup
    public void setUp() {
        String[] s = net.split("x");
        int in = Integer.parseInt(s[0]);
        int hidden = Integer.parseInt(s[1]);
        Rng rng = Rng.named("torch", 0);
        Mlp mlp = new Mlp(in, new int[] {hidden}, 1, Activation.RELU, rng, DType.FLOAT32);
        Tensor x = Tensor.of(rng.normal(8 * in), 8, in);
        mlp.forward(x).softplus().sum().backward();
        List<Tensor> parameters = mlp.parameters();
        adam = Registry.discover().create(Optimizer.POINT, "adam", Map.of("lr", 0.01), parameters);
    }

    @Benchmark
    public Optimizer step() {
        adam.step();
        return adam;
    }
}
