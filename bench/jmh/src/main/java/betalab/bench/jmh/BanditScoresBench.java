package betalab.bench.jmh;

import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.Random;
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
 * The bandit policy's log-probabilities for one batch (256 prompts, K = 8 candidates, d = 16),
 * forward and backward to the representation: {@code tensors} as the bandit policies compute them
 * (broadcast multiply to [256, 8, 16], sum over d, log-softmax), {@code fusedLoops} the same
 * arithmetic as one batched matrix-vector kernel would do it, in plain loops. The gap is what a
 * batched product in the tensor API would save per step.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.unsupported,jdk.incubator.vector")
public class BanditScoresBench {
    private static final int N = 256;
    private static final int K = 8;
    private static final int D = 16;

    private Tensor representation;
    private Tensor candidates;
    private double[] rep;
    private double[] cand;
    private double[] weights;
    private Tensor weightTensor;

    @Setup
    public void setUp() {
        Random r = new Random(3);
        rep = floats(r, N * D);
        cand = floats(r, N * K * D);
        weights = floats(r, N * K);
        representation = Tensor.of(rep, N, D).asParameter();
        candidates = Tensor.of(DType.FLOAT32, cand, N, K, D);
        weightTensor = Tensor.of(weights, N, K);
    }

    private static double[] floats(Random r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Benchmark
    public Tensor tensors() {
        representation.zeroGrad();
        Tensor scores = candidates.mul(representation.reshape(N, 1, D)).sum(2);
        Tensor logps = scores.logSoftmax(1);
        logps.mul(weightTensor).sum().backward();
        return representation.grad();
    }

    @Benchmark
    public double[] fusedLoops() {
        double[] logps = new double[N * K];
        double[] gradRep = new double[N * D];
        for (int i = 0; i < N; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < K; c++) {
                double s = 0;
                int base = (i * K + c) * D;
                for (int d = 0; d < D; d++) {
                    s += cand[base + d] * rep[i * D + d];
                }
                logps[i * K + c] = (float) s;
                max = Math.max(max, s);
            }
            double sum = 0;
            for (int c = 0; c < K; c++) {
                sum += Math.exp(logps[i * K + c] - max);
            }
            double lse = (float) (max + Math.log(sum));
            double gsum = 0;
            for (int c = 0; c < K; c++) {
                logps[i * K + c] = (float) (logps[i * K + c] - lse);
                gsum += weights[i * K + c];
            }
            // d(Σ w·logp)/d score_c = w_c − softmax_c·Σw; then into the representation.
            for (int c = 0; c < K; c++) {
                double gs = (float) (weights[i * K + c] - Math.exp(logps[i * K + c]) * gsum);
                int base = (i * K + c) * D;
                for (int d = 0; d < D; d++) {
                    gradRep[i * D + d] += gs * cand[base + d];
                }
            }
        }
        return gradRep;
    }
}
