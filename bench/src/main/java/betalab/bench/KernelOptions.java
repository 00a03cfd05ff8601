package betalab.bench;

import betalab.api.tensor.Backends;
import betalab.api.tensor.DType;
import betalab.api.tensor.Storage;
import betalab.api.tensor.TensorBackend;
import betalab.api.tensor.jvm.JvmBackend;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.bytedeco.openblas.global.openblas;

/**
 * The options for float32 products, side by side in one JVM, taking turns so that load on the
 * machine hits them alike: the JVM backend's vector kernel, its plain-Java fallback, the ND4J
 * backend's {@code matmul}, and OpenBLAS's {@code cblas_sgemm} called directly on Java arrays
 * through {@code org.bytedeco:openblas} (the library ND4J brings). Prints the median per call over
 * 12 turns (after 3 untimed), each turn about 0.5 GFLOP.
 *
 * <pre>
 * java --add-modules jdk.unsupported,jdk.incubator.vector -cp 'bench/target/betalab-bench.jar:bench/target/lib/*' \
 *     betalab.bench.KernelOptions [threads]
 * </pre>
 */
public final class KernelOptions {
    private KernelOptions() {
    }

    /** batch, m, k, n, transposeA, transposeB: the gemm rows' products, then the bandit's narrow ones. */
    private static final int[][] SHAPES = {{1, 512, 1024, 256, 0, 1}, {1, 256, 512, 1024, 1, 0},
        {1, 512, 256, 1024, 0, 0}, {1, 768, 128, 384, 0, 1}, {1, 768, 128, 512, 0, 1}, {4, 64, 32, 64, 0, 1},
        {1, 256, 16, 16, 0, 1}, {1, 16, 256, 16, 1, 0}, {1, 256, 16, 32, 0, 1}, {1, 32, 256, 16, 1, 0}};

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        Map<String, TensorBackend> backends = new LinkedHashMap<>();
        backends.put("vector", new JvmBackend(8192, 1L << 21, threads, true));
        backends.put("fallback", new JvmBackend(8192, 1L << 21, threads, false));
        backends.put("nd4j", Backends.named("nd4j"));
        openblas.blas_set_num_threads(threads);
        for (int[] s : SHAPES) {
            int batch = s[0];
            int m = s[1];
            int k = s[2];
            int n = s[3];
            boolean ta = s[4] == 1;
            boolean tb = s[5] == 1;
            Random random = new Random(1);
            double[] ad = random.doubles(m * k, -1, 1).toArray();
            double[] bd = random.doubles(k * n, -1, 1).toArray();
            float[] af = new float[m * k];
            float[] bf = new float[k * n];
            float[] cf = new float[m * n];
            for (int i = 0; i < ad.length; i++) {
                af[i] = (float) ad[i];
            }
            for (int i = 0; i < bd.length; i++) {
                bf[i] = (float) bd[i];
            }
            Map<String, Runnable> ops = new LinkedHashMap<>();
            backends.forEach((name, be) -> {
                Storage a = be.of(ad, DType.FLOAT32);
                Storage b = be.of(bd, DType.FLOAT32);
                ops.put(name, () -> {
                    for (int i = 0; i < batch; i++) {
                        be.matmul(a, ta, b, tb, m, k, n);
                    }
                });
            });
            ops.put("openblas", () -> {
                for (int i = 0; i < batch; i++) {
                    openblas.cblas_sgemm(openblas.CblasRowMajor, ta ? openblas.CblasTrans : openblas.CblasNoTrans,
                            tb ? openblas.CblasTrans : openblas.CblasNoTrans, m, n, k, 1f, af, ta ? m : k, bf,
                            tb ? k : n, 0f, cf, n);
                }
            });
            double flops = 2.0 * batch * m * k * n;
            int calls = (int) Math.max(1, Math.ceil(5e8 / flops));
            Map<String, List<Double>> times = new LinkedHashMap<>();
            for (int round = 0; round < 15; round++) {
                for (Map.Entry<String, Runnable> op : ops.entrySet()) {
                    // OpenBLAS's and ND4J's worker threads spin for a while after a call; on 2 cores they
                    // would slow whichever option runs next.
                    pause();
                    long t0 = System.nanoTime();
                    for (int c = 0; c < calls; c++) {
                        op.getValue().run();
                    }
                    double ms = (System.nanoTime() - t0) / 1e6 / calls;
                    if (round >= 3) {
                        times.computeIfAbsent(op.getKey(), x -> new ArrayList<>()).add(ms);
                    }
                }
            }
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%d×%d×%d×%d %s%s:", batch, m, k, n,
                    ta ? "T" : "N", tb ? "T" : "N"));
            times.forEach((name, t) -> {
                Collections.sort(t);
                double median = t.get(t.size() / 2);
                line.append(String.format(Locale.ROOT, "  %s %.3f ms (%.0f GFLOP/s)", name, median, flops / median / 1e6));
            });
            System.out.println(line);
        }
        System.exit(0);
    }

    private static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
