package betalab.bench;

import betalab.api.tensor.BinaryOp;
import betalab.api.tensor.DType;
import betalab.api.tensor.Shapes;
import betalab.api.tensor.Storage;
import betalab.api.tensor.TensorBackend;
import java.util.Random;

/**
 * Checks a backend's matrix product, broadcasting and reductions at the sizes the benchmark runs
 * (the conformance suite uses small shapes, which the JVM backend serves with its plain loops):
 * every transpose combination, sizes on both sides of the blocked and parallel thresholds and of the
 * kernels' blocks, the benchmark's and the transformer's shapes, against naive double loops. Fails
 * loudly, so a fast wrong kernel never reaches the table. BenchMain runs it on the default JVM
 * backend (float32 on the vector kernel where jdk.incubator.vector is present) and on the fallback
 * with every product forced through the plain-Java blocked kernel and the threaded split.
 */
final class KernelCheck {
    private KernelCheck() {
    }

    static void run(TensorBackend be) {
        Random random = new Random(7);
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {20, 5, 10}, {33, 17, 65}, {64, 128, 64}, {129, 257, 130},
            {512, 1024, 256}, {256, 512, 1024}, {512, 256, 1024}, {512, 256, 1}, {1, 512, 256}, {5, 600, 3},
            {768, 128, 384}, {768, 128, 512}, {64, 32, 64}, {121, 300, 40}, {7, 150, 2100}, {245, 129, 70}};
        for (int[] s : shapes) {
            for (DType dtype : DType.values()) {
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 1) != 0;
                    boolean tb = (t & 2) != 0;
                    matmul(be, random, 1, s[0], s[1], s[2], ta, tb, dtype);
                }
            }
        }
        // Batched products: attention's heads (the gemm row) and entries on both sides of the blocked threshold.
        int[][] batches = {{4, 64, 32, 64}, {48, 64, 32, 64}, {3, 5, 7, 9}, {2, 121, 40, 33}};
        for (int[] s : batches) {
            for (DType dtype : DType.values()) {
                for (int t = 0; t < 4; t++) {
                    matmul(be, random, s[0], s[1], s[2], s[3], (t & 1) != 0, (t & 2) != 0, dtype);
                }
            }
        }
        int[][][] broadcasts = {{{256, 8, 16}, {256, 1, 16}}, {{20, 10}, {10}}, {{256, 8}, {256, 1}},
            {{3, 1, 5}, {4, 1}}, {{7}, {2, 3, 7}}, {{2, 1, 3, 1}, {1, 4, 1, 5}}};
        for (int[][] c : broadcasts) {
            for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV}) {
                binary(be, random, op, c[0], c[1]);
                binary(be, random, op, c[1], c[0]);
            }
        }
    }

    /** {@code batch} products op(A)·op(B) of m×k by k×n, one batched call unless batch is 1. */
    private static void matmul(TensorBackend be, Random random, int batch, int m, int k, int n, boolean ta,
                               boolean tb, DType dtype) {
        double[] a = values(random, batch * m * k, dtype);
        double[] b = values(random, batch * k * n, dtype);
        Storage y = batch == 1 ? be.matmul(be.of(a, dtype), ta, be.of(b, dtype), tb, m, k, n)
                : be.batchedMatmul(be.of(a, dtype), ta, be.of(b, dtype), tb, batch, m, k, n);
        double[] all = be.toDoubleArray(y);
        for (int entry = 0; entry < batch; entry++) {
            check(random, entry, a, b, all, m, k, n, ta, tb, dtype);
        }
    }

    private static void check(Random random, int entry, double[] a, double[] b, double[] all, int m, int k, int n,
                              boolean ta, boolean tb, DType dtype) {
        int ao = entry * m * k;
        int bo = entry * k * n;
        double[] got = java.util.Arrays.copyOfRange(all, entry * m * n, (entry + 1) * m * n);
        int aRow = ta ? 1 : k;
        int aCol = ta ? m : 1;
        int bRow = tb ? 1 : n;
        int bCol = tb ? k : 1;
        // Every entry of small products; 500 random entries of large ones.
        int checks = m * n <= 4096 ? m * n : 500;
        for (int e = 0; e < checks; e++) {
            int i = checks == m * n ? e / n : random.nextInt(m);
            int j = checks == m * n ? e % n : random.nextInt(n);
            double s = 0;
            double scale = 0;
            for (int p = 0; p < k; p++) {
                double v = a[ao + i * aRow + p * aCol] * b[bo + p * bRow + j * bCol];
                s += v;
                scale += Math.abs(v);
            }
            double expected = dtype == DType.FLOAT32 ? (float) s : s;
            // Float32 products may accumulate in float32 (the vector kernel does, as sgemm does): about
            // √k·2⁻²⁴ of Σ|a·b|, under 1e-5 of it at these depths; a lost term is about 1/k of it.
            double tolerance = (dtype == DType.FLOAT32 ? 1e-5 : 1e-13) * Math.max(scale, 1e-30);
            if (!(Math.abs(got[i * n + j] - expected) <= tolerance)) {
                throw new AssertionError(String.format("%s matmul %dx%dx%d transposeA %s transposeB %s, entry %d: "
                        + "C[%d,%d] = %s, expected %s", dtype, m, k, n, ta, tb, entry, i, j, got[i * n + j],
                        expected));
            }
        }
    }

    private static void binary(TensorBackend be, Random random, BinaryOp op, int[] aShape, int[] bShape) {
        int[] out = Shapes.broadcast(aShape, bShape);
        double[] a = values(random, Shapes.size(aShape), DType.FLOAT64);
        double[] b = values(random, Shapes.size(bShape), DType.FLOAT64);
        Storage y = be.binary(op, be.of(a, DType.FLOAT64), aShape, be.of(b, DType.FLOAT64), bShape, out);
        double[] got = be.toDoubleArray(y);
        int[] as = Shapes.broadcastStrides(aShape, out);
        int[] bs = Shapes.broadcastStrides(bShape, out);
        int n = Shapes.size(out);
        double[] sumA = new double[a.length];
        for (int i = 0; i < n; i++) {
            int rest = i;
            int ia = 0;
            int ib = 0;
            for (int d = out.length - 1; d >= 0; d--) {
                int idx = rest % out[d];
                rest /= out[d];
                ia += idx * as[d];
                ib += idx * bs[d];
            }
            double expected = switch (op) {
                case ADD -> a[ia] + b[ib];
                case SUB -> a[ia] - b[ib];
                case MUL -> a[ia] * b[ib];
                case DIV -> a[ia] / b[ib];
                case GREATER -> a[ia] > b[ib] ? 1 : 0;
            };
            if (got[i] != expected) {
                throw new AssertionError(op + " broadcast " + java.util.Arrays.toString(aShape) + " with "
                        + java.util.Arrays.toString(bShape) + " at " + i + ": " + got[i] + ", expected " + expected);
            }
            sumA[ia] += got[i];
        }
        // The gradient's reduction: the result summed back to a's shape.
        double[] reduced = be.toDoubleArray(be.sumTo(y, out, aShape));
        for (int i = 0; i < a.length; i++) {
            if (Math.abs(reduced[i] - sumA[i]) > 1e-12 * Math.max(1, Math.abs(sumA[i]))) {
                throw new AssertionError("sumTo " + java.util.Arrays.toString(out) + " to "
                        + java.util.Arrays.toString(aShape) + " at " + i + ": " + reduced[i] + ", expected " + sumA[i]);
            }
        }
    }

    private static double[] values(Random random, int n, DType dtype) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            double x = random.nextGaussian();
            v[i] = dtype == DType.FLOAT32 ? (float) x : x;
        }
        return v;
    }
}
