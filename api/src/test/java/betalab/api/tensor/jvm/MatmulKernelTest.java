package betalab.api.tensor.jvm;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.api.tensor.DType;
import betalab.api.tensor.TensorBackend;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The float32 kernels at the shapes the benchmark and the transformer work run, against a float64
 * reference: the vector kernel (float32 accumulation) and the plain-Java fallback (double
 * accumulation), single-threaded and split, for the three transpose forms autodiff uses.
 */
class MatmulKernelTest {
    /**
     * Stated accuracy of a float32 product: each element within 1e-5 · Σ_p |a_ip · b_pj| of the
     * exact sum. Float32 accumulation errs by about √k · 2⁻²⁴ of that (3e-6 at k = 1024), a lost or
     * misplaced term by about 1/k.
     */
    private static final double FLOAT32_TOLERANCE = 1e-5;

    /** m×k×n: the medium workload's first layer, the transformer's projections and one batch of attention. */
    private static final int[][] SHAPES = {{512, 1024, 256}, {768, 128, 384}, {768, 128, 512}, {64, 32, 64}};

    @Test
    void theBuildsJvmHasTheVectorKernel() {
        // The tests' JVM adds jdk.incubator.vector (the root pom's surefire argLine), as the launcher and
        // the bench do: without it every float32 product here would silently test the fallback only.
        assertThat(Matmul.VECTOR_MODULE).as("jdk.incubator.vector resolved").isTrue();
        assertThat(Matmul.vectorKernelRuns()).as("vectors of at least 8 floats").isTrue();
        assertThat(Matmul.VECTOR_DEFAULT).isTrue();
    }

    @Test
    void vectorKernelMatchesFloat64ReferenceAtBenchmarkShapes() {
        check(new JvmBackend(0, Long.MAX_VALUE, 1, true), "vector, one thread");
        check(new JvmBackend(0, 0, 2, true), "vector, two threads");
    }

    @Test
    void fallbackMatchesFloat64ReferenceAtBenchmarkShapes() {
        check(new JvmBackend(0, 0, 2, false), "fallback, two threads");
    }

    private static void check(TensorBackend be, String what) {
        Random random = new Random(3);
        for (int[] s : SHAPES) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            // Forward x·Wᵀ, weight gradient gᵀ·x, input gradient g·W, and the plain form.
            boolean[][] forms = {{false, true}, {true, false}, {false, false}};
            for (boolean[] form : forms) {
                boolean ta = form[0];
                boolean tb = form[1];
                double[] a = floats(random, m * k);
                double[] b = floats(random, k * n);
                double[] c = be.toDoubleArray(be.matmul(be.of(a, DType.FLOAT32), ta, be.of(b, DType.FLOAT32), tb,
                        m, k, n));
                assertThat(c).hasSize(m * n);
                int aRow = ta ? 1 : k;
                int aCol = ta ? m : 1;
                int bRow = tb ? 1 : n;
                int bCol = tb ? k : 1;
                for (int e = 0; e < 2000; e++) {
                    int i = random.nextInt(m);
                    int j = random.nextInt(n);
                    double sum = 0;
                    double scale = 0;
                    for (int p = 0; p < k; p++) {
                        double v = a[i * aRow + p * aCol] * b[p * bRow + j * bCol];
                        sum += v;
                        scale += Math.abs(v);
                    }
                    assertThat(Math.abs(c[i * n + j] - sum))
                            .as("%s %dx%dx%d transposeA %s transposeB %s C[%d,%d]", what, m, k, n, ta, tb, i, j)
                            .isLessThanOrEqualTo(FLOAT32_TOLERANCE * scale);
                }
            }
        }
    }

    private static double[] floats(Random random, int size) {
        double[] v = new double[size];
        for (int i = 0; i < size; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }
}
