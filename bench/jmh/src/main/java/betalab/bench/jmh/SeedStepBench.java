package betalab.bench.jmh;

import betalab.api.optim.Optimizer;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.preference.PreferenceObjective;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One training step of the seed experiment, as SeedExperiment runs it: β(x) = softplus(MLP 5 → 10
 * → 1) on 20 pairs, loss −mean log σ(β·Δ), backward, Adam (lr 0.01). The whole-experiment figure is
 * 200 of these plus set-up.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.unsupported,jdk.incubator.vector")
public class SeedStepBench {
    private PreferenceObjective objective;
    private Optimizer optimizer;
    private PreferenceBatch batch;

    @Setup
    public void setUp() {
        Registry registry = Registry.discover();
        Rng rng = Rng.named("torch", 42);
        int n = 20;
        int dim = 5;
        Tensor x = Tensor.of(rng.normal(n * dim), n, dim);
        double[] delta = rng.normal(n);
        for (int i = 0; i < n; i++) {
            delta[i] = i < n / 2 ? Math.abs(delta[i]) : -Math.abs(delta[i]);
        }
        BetaEstimator beta = registry.create(BetaEstimator.POINT, "softplus_mlp", Map.of("hidden", List.of(10)),
                new BetaEstimator.Context(dim, 0, rng, DType.FLOAT32));
        objective = new PreferenceObjective(beta, registry.create(PreferenceLoss.POINT, "sigmoid", Map.of(), null));
        optimizer = registry.create(Optimizer.POINT, "adam", Map.of("lr", 0.01),
                List.copyOf(objective.namedParameters().values()));
        batch = PreferenceBatch.ofMargins(Tensor.of(delta, n), x);
    }

    @Benchmark
    public double step() {
        PreferenceObjective.Evaluation e = objective.train(batch);
        optimizer.zeroGrad();
        e.loss().backward();
        optimizer.step();
        return e.loss().item();
    }
}
