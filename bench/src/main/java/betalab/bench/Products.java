package betalab.bench;

import betalab.api.tensor.DType;
import betalab.api.tensor.Storage;
import betalab.api.tensor.TensorBackend;
import java.util.List;
import java.util.Random;

/**
 * Single float32 matrix products through the backend SPI, as the layers call them: the medium
 * workload's three (forward x·Wᵀ, weight gradient gᵀ·x, input gradient g·W) and the transformer's of
 * the next issues (projections [768×128]·[128×384] and [768×128]·[128×512], attention scores
 * q·kᵀ for 4 heads of [64×32], one batched call). The same list is in bench/pytorch/workloads.py; keep the two in step.
 */
final class Products {
    private Products() {
    }

    /**
     * {@code batch} products op(A)·op(B) of m×k by k×n; {@code form} "NT", "TN" or "NN" says which operand
     * is stored transposed (T), as {@link TensorBackend#matmul} takes it.
     */
    record Product(String name, int batch, int m, int k, int n, String form) {
        double flops() {
            return 2.0 * batch * m * k * n;
        }

        /** Enough calls that one repetition does about 2 GFLOP (≈ 10–40 ms here). */
        int callsPerRepetition() {
            return (int) Math.max(1, Math.ceil(2e9 / flops()));
        }

        Prepared prepare(TensorBackend be) {
            Random random = new Random(11);
            boolean ta = form.charAt(0) == 'T';
            boolean tb = form.charAt(1) == 'T';
            Storage a = be.of(random.doubles(batch * m * k, -1, 1).toArray(), DType.FLOAT32);
            Storage b = be.of(random.doubles(batch * k * n, -1, 1).toArray(), DType.FLOAT32);
            if (batch == 1) {
                return () -> be.matmul(a, ta, b, tb, m, k, n).size();
            }
            return () -> be.batchedMatmul(a, ta, b, tb, batch, m, k, n).size();
        }
    }

    /** One call of a prepared product; returns something derived from the result so nothing is skipped. */
    @FunctionalInterface
    interface Prepared {
        double run();
    }

    static final List<Product> ALL = List.of(
            new Product("gemm-medium-forward", 1, 512, 1024, 256, "NT"),
            new Product("gemm-medium-weight-grad", 1, 256, 512, 1024, "TN"),
            new Product("gemm-medium-input-grad", 1, 512, 256, 1024, "NN"),
            new Product("gemm-768x128x384", 1, 768, 128, 384, "NT"),
            new Product("gemm-768x128x512", 1, 768, 128, 512, "NT"),
            new Product("gemm-4x64x32x64", 4, 64, 32, 64, "NT"));
}
