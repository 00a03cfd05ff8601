package betalab.api.tensor.jvm;

import betalab.api.tensor.DType;
import betalab.api.tensor.Storage;
import java.util.Arrays;
import java.util.concurrent.ForkJoinTask;

/**
 * The JVM backend's matrix product, by size and precision:
 * <ul>
 *   <li>below {@code blockedWork} multiply-adds (m·k·n): plain loops accumulating in double, cheapest
 *       for the tiny products of the seed experiment;</li>
 *   <li>float32 operands: {@link VectorGemm}, a packed, register-tiled kernel on
 *       {@code jdk.incubator.vector} that <b>accumulates in float32</b>, as BLAS sgemm and PyTorch do.
 *       Each element errs by at most about k·2⁻²⁴ of Σ|a·b| (k the depth; typically √k·2⁻²⁴), against
 *       one rounding of the double sum before. It runs when the JVM has the module
 *       ({@code --add-modules jdk.incubator.vector}; the launcher, the tests and the bench add it);</li>
 *   <li>otherwise (float64 or mixed operands, or no vector module): a cache-blocked kernel that packs
 *       into double panels and accumulates in double (four rows of C at a time, written so that
 *       HotSpot's C2 vectorises it with fused multiply-adds), rounding once at the end.</li>
 * </ul>
 * Past {@code parallelWork} multiply-adds the blocked kernels split C's columns or rows over the
 * calling thread and the common fork-join pool (the vector kernel its longer side, the double kernel
 * its columns unless C is narrow).
 */
final class Matmul {
    /** Depth of the packed panels: columns of op(A), rows of op(B). */
    private static final int KC = 128;
    /** Columns of C accumulated at once. */
    private static final int NC = 512;
    /** Rows of C accumulated at once. */
    private static final int MC = 256;

    /** A block of C and panels of op(A) and op(B) for one product at a time (1.8 MB), reused. */
    private static final class Scratch {
        final double[][] block = new double[MC][NC];
        final double[][] aPanel = new double[MC][KC];
        final double[][] bPanel = new double[KC][NC];
    }

    /** Scratch not in use; not thread-locals, which the common pool's workers clear after every task. */
    private static final java.util.concurrent.ConcurrentLinkedQueue<Scratch> FREE =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    /**
     * Whether the JVM resolved {@code jdk.incubator.vector}: an incubator module, resolved only when
     * asked for ({@code --add-modules jdk.incubator.vector}).
     */
    static final boolean VECTOR_MODULE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    /** Whether backends use the vector kernel by default: with the module, unless {@code -Dbetalab.jvm.vectorMatmul=false}. */
    static final boolean VECTOR_DEFAULT = VECTOR_MODULE
            && Boolean.parseBoolean(System.getProperty("betalab.jvm.vectorMatmul", "true"));

    /** Loaded at the first product that could take the vector kernel, so start-up never loads the module's classes. */
    private static final class Vector {
        /** The module is there and its vectors hold at least 8 floats (AVX2 or better); else the fallback runs. */
        static final boolean USABLE = usable();

        private static boolean usable() {
            Module vector = ModuleLayer.boot().findModule("jdk.incubator.vector").orElse(null);
            if (vector == null) {
                return false;
            }
            // module-info.java does not require it (see there): read it before VectorGemm links to it.
            Matmul.class.getModule().addReads(vector);
            try {
                return VectorGemm.usable();
            } catch (LinkageError e) {
                return false;
            }
        }
    }

    /** Whether float32 products past the plain loops run on {@link VectorGemm} in this JVM (given the backend asks for it). */
    static boolean vectorKernelRuns() {
        return Vector.USABLE;
    }

    /** Whether float32 products past the plain loops run on the vector kernel (loads it to find out). */
    boolean usesVectorKernel() {
        return vectorKernel && vectorKernelRuns();
    }

    private final JvmBackend backend;
    private final long blockedMatmulWork;
    private final long parallelMatmulWork;
    private final int threads;
    private final boolean vectorKernel;

    /**
     * @param vectorKernel float32 products past the plain loops take {@link VectorGemm} (where its vectors
     *                     hold at least 8 floats); needs {@link #VECTOR_MODULE}
     */
    Matmul(JvmBackend backend, long blockedMatmulWork, long parallelMatmulWork, int threads, boolean vectorKernel) {
        if (vectorKernel && !VECTOR_MODULE) {
            throw new IllegalStateException("the vector matmul kernel needs the module jdk.incubator.vector: "
                    + "run java with --add-modules jdk.incubator.vector");
        }
        this.backend = backend;
        this.blockedMatmulWork = blockedMatmulWork;
        this.parallelMatmulWork = parallelMatmulWork;
        this.threads = threads;
        this.vectorKernel = vectorKernel;
    }

    /** op(a) · op(b), as {@link JvmBackend#matmul}. */
    Storage multiply(Storage a, boolean transposeA, Storage b, boolean transposeB, int m, int k, int n) {
        JvmStorage sa = backend.js(a);
        JvmStorage sb = backend.js(b);
        DType dtype = DType.widest(a.dtype(), b.dtype());
        // Row-major strides of op(A) (m×k) and op(B) (k×n) over the stored arrays.
        int aRow = transposeA ? 1 : k;
        int aCol = transposeA ? m : 1;
        int bRow = transposeB ? 1 : n;
        int bCol = transposeB ? k : 1;
        long work = (long) m * k * n;
        if (work < blockedMatmulWork) {
            double[] out = new double[m * n];
            if (sa.f != null && sb.f != null) {
                smallMatmul(sa.f, aRow, aCol, sb.f, bRow, bCol, m, k, n, out);
            } else {
                smallMatmul(sa.doubles(), aRow, aCol, sb.doubles(), bRow, bCol, m, k, n, out);
            }
            return JvmStorage.rounded(backend, out, dtype);
        }
        if (vectorKernel && dtype == DType.FLOAT32 && Vector.USABLE) {
            float[] out = new float[m * n];
            float[] x = sa.f;
            float[] y = sb.f;
            Part part = (rowFrom, rowTo, colFrom, colTo) -> VectorGemm.multiply(x, 0, aRow, aCol, y, 0, bRow, bCol,
                    out, 0, k, n, rowFrom, rowTo, colFrom, colTo);
            if (work < parallelMatmulWork || threads == 1) {
                part.compute(0, m, 0, n);
            } else {
                // Each thread packs all of op(A) when C's columns are split, all of op(B) when its rows
                // are: splitting the longer side leaves each packed value the most multiply-adds.
                split(part, m, n, n >= m, threads, VectorGemm.MR, VectorGemm.NR);
            }
            return JvmStorage.of(backend, out);
        }
        Operands ops = new Operands(sa.f, sa.d, aRow, aCol, sb.f, sb.d, bRow, bCol, m, k, n,
                dtype == DType.FLOAT32 ? new float[m * n] : null, dtype == DType.FLOAT64 ? new double[m * n] : null);
        if (work < parallelMatmulWork || threads == 1) {
            blockedMatmul(ops, 0, m, 0, n);
        } else {
            split((rowFrom, rowTo, colFrom, colTo) -> blockedMatmul(ops, rowFrom, rowTo, colFrom, colTo),
                    m, n, n >= 64 * threads || n >= m, threads, 8, 8);
        }
        return ops.outF != null ? JvmStorage.of(backend, ops.outF) : JvmStorage.of(backend, ops.outD);
    }

    /**
     * c[cOff + i·ldc + j] += Σ_p op(A)[i, p]·op(B)[p, j] for i &lt; m, j &lt; n, where op(A)[i, p] =
     * a[aOff + i·aRow + p·aCol] and op(B)[p, j] = b[bOff + p·bRow + j·bCol]: one float32 product inside
     * larger arrays (a batch entry, one head of a row layout), on the calling thread. It takes the
     * vector kernel where {@link #multiply} would, else plain loops accumulating in double.
     */
    void accumulate(float[] a, int aOff, int aRow, int aCol, float[] b, int bOff, int bRow, int bCol, float[] c,
                    int cOff, int ldc, int m, int k, int n) {
        if (vectorKernel && Vector.USABLE && (long) m * k * n >= blockedMatmulWork) {
            VectorGemm.multiply(a, aOff, aRow, aCol, b, bOff, bRow, bCol, c, cOff, k, ldc, 0, m, 0, n);
            return;
        }
        for (int i = 0; i < m; i++) {
            int ai = aOff + i * aRow;
            int ci = cOff + i * ldc;
            for (int j = 0; j < n; j++) {
                int bj = bOff + j * bCol;
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    sum += (double) a[ai + p * aCol] * b[bj + p * bRow];
                }
                c[ci + j] += (float) sum;
            }
        }
    }

    /**
     * body(i) for i &lt; count, independent parts of {@code work} multiply-adds in all: split over the
     * calling thread and the common pool past the threaded products' threshold, else in order here
     * (waking a pool thread costs about as much as a few small products: 4 × 64×32·32×64 took 15 µs on
     * one thread and 28–38 µs split in two on a busy machine).
     */
    void forEach(int count, long work, java.util.function.IntConsumer body) {
        int parts = work >= parallelMatmulWork ? Math.min(threads, count) : 1;
        if (parts <= 1) {
            for (int i = 0; i < count; i++) {
                body.accept(i);
            }
            return;
        }
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[parts];
        for (int t = 1; t < parts; t++) {
            int from = (int) ((long) count * t / parts);
            int to = (int) ((long) count * (t + 1) / parts);
            tasks[t] = ForkJoinTask.adapt(() -> {
                for (int i = from; i < to; i++) {
                    body.accept(i);
                }
            }).fork();
        }
        int first = count / parts;
        for (int i = 0; i < first; i++) {
            body.accept(i);
        }
        for (int t = 1; t < parts; t++) {
            tasks[t].join();
        }
    }

    /** The plain loops, cheapest for the tiny products of the seed experiment. */
    private static void smallMatmul(double[] x, int aRow, int aCol, double[] y, int bRow, int bCol, int m, int k,
                                    int n, double[] out) {
        if (bCol == 1) {
            // i-p-j order: the inner loop streams a row of B and a row of the output.
            for (int i = 0; i < m; i++) {
                int o = i * n;
                for (int p = 0; p < k; p++) {
                    double av = x[i * aRow + p * aCol];
                    int bo = p * bRow;
                    for (int j = 0; j < n; j++) {
                        out[o + j] += av * y[bo + j];
                    }
                }
            }
        } else {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        s += x[i * aRow + p * aCol] * y[p * bRow + j * bCol];
                    }
                    out[i * n + j] = s;
                }
            }
        }
    }

    /** {@link #smallMatmul(double[], int, int, double[], int, int, int, int, int, double[])} for float32 operands. */
    private static void smallMatmul(float[] x, int aRow, int aCol, float[] y, int bRow, int bCol, int m, int k,
                                    int n, double[] out) {
        if (bCol == 1) {
            for (int i = 0; i < m; i++) {
                int o = i * n;
                for (int p = 0; p < k; p++) {
                    double av = x[i * aRow + p * aCol];
                    int bo = p * bRow;
                    for (int j = 0; j < n; j++) {
                        out[o + j] += av * y[bo + j];
                    }
                }
            }
        } else {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        s += (double) x[i * aRow + p * aCol] * y[p * bRow + j * bCol];
                    }
                    out[i * n + j] = s;
                }
            }
        }
    }

    /** Everything a blocked product reads and writes: A and B as stored (one array each set), C. */
    private record Operands(float[] aF, double[] aD, int aRow, int aCol, float[] bF, double[] bD, int bRow,
                            int bCol, int m, int k, int n, float[] outF, double[] outD) {
    }

    /** Computes C[rowFrom:rowTo, colFrom:colTo]. */
    @FunctionalInterface
    private interface Part {
        void compute(int rowFrom, int rowTo, int colFrom, int colTo);
    }

    /**
     * Splits C's columns (or its rows) into one part per thread, on multiples of the kernel's tile
     * where the extent allows; the calling thread computes the first part while the common pool
     * computes the others.
     */
    private static void split(Part part, int m, int n, boolean byColumns, int threads, int rowTile, int colTile) {
        int extent = byColumns ? n : m;
        int tile = byColumns ? colTile : rowTile;
        int parts = Math.min(threads, Math.max(1, extent / 8));
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[parts];
        for (int t = 1; t < parts; t++) {
            int from = bound(extent, t, parts, tile);
            int to = bound(extent, t + 1, parts, tile);
            Runnable task = byColumns ? () -> part.compute(0, m, from, to) : () -> part.compute(from, to, 0, n);
            tasks[t] = ForkJoinTask.adapt(task).fork();
        }
        int to = bound(extent, 1, parts, tile);
        if (byColumns) {
            part.compute(0, m, 0, to);
        } else {
            part.compute(0, to, 0, n);
        }
        for (int t = 1; t < parts; t++) {
            tasks[t].join();
        }
    }

    /**
     * Start of part t of {@code parts} over [0, extent): on a multiple of {@code tile} when every part
     * still gets at least one tile, else of 8 (or anywhere, for short extents).
     */
    private static int bound(int extent, int t, int parts, int tile) {
        if (t >= parts) {
            return extent;
        }
        int b = (int) ((long) extent * t / parts);
        int align = extent >= tile * parts ? tile : Math.min(8, tile);
        return Math.min(extent, (b + align - 1) / align * align);
    }

    /**
     * C[rows, cols] = op(A)[rows, :] · op(B)[:, cols], accumulated in double. C is computed in
     * blocks of at most MC rows × NC columns whose rows live in separate arrays; for each block,
     * op(A) and op(B) are packed KC deep into separate row arrays of doubles, and the kernel adds
     * two rows of the B panel into four rows of the block per pass. Every array the inner loop reads
     * or writes is indexed from 0, which is what lets C2 vectorise it. The block and the panels are
     * per-thread scratch, so a product allocates only its result.
     */
    private static void blockedMatmul(Operands o, int rowFrom, int rowTo, int colFrom, int colTo) {
        Scratch polled = FREE.poll();
        Scratch scratch = polled != null ? polled : new Scratch();
        try {
            double[][] c = scratch.block;
            double[][] aPanel = scratch.aPanel;
            double[][] bPanel = scratch.bPanel;
            int k = o.k();
            for (int jc = colFrom; jc < colTo; jc += NC) {
                int nc = Math.min(NC, colTo - jc);
                for (int ic = rowFrom; ic < rowTo; ic += MC) {
                    int mc = Math.min(MC, rowTo - ic);
                    for (int i = 0; i < mc; i++) {
                        Arrays.fill(c[i], 0, nc, 0.0);
                    }
                    for (int pc = 0; pc < k; pc += KC) {
                        int kc = Math.min(KC, k - pc);
                        packA(o, ic, mc, pc, kc, aPanel);
                        packB(o, pc, kc, jc, nc, bPanel);
                        multiplyBlock(aPanel, mc, kc, bPanel, nc, c);
                    }
                    int n = o.n();
                    for (int i = 0; i < mc; i++) {
                        double[] row = c[i];
                        int base = (ic + i) * n + jc;
                        if (o.outF() != null) {
                            float[] out = o.outF();
                            for (int j = 0; j < nc; j++) {
                                out[base + j] = (float) row[j];
                            }
                        } else {
                            System.arraycopy(row, 0, o.outD(), base, nc);
                        }
                    }
                }
            }
        } finally {
            FREE.offer(scratch);
        }
    }

    /**
     * aPanel[i][p] = op(A)[ic + i, pc + p] for i &lt; mc, p &lt; kc, reading A along its stored rows
     * (a transposed A is read p by p, so the reads stay contiguous and the writes spread).
     */
    private static void packA(Operands o, int ic, int mc, int pc, int kc, double[][] aPanel) {
        int aRow = o.aRow();
        int aCol = o.aCol();
        float[] af = o.aF();
        double[] ad = o.aD();
        if (aCol == 1) {
            for (int i = 0; i < mc; i++) {
                double[] row = aPanel[i];
                int base = (ic + i) * aRow + pc;
                if (af != null) {
                    for (int p = 0; p < kc; p++) {
                        row[p] = af[base + p];
                    }
                } else {
                    System.arraycopy(ad, base, row, 0, kc);
                }
            }
        } else {
            for (int p = 0; p < kc; p++) {
                int base = (pc + p) * aCol + ic * aRow;
                for (int i = 0; i < mc; i++) {
                    aPanel[i][p] = af != null ? af[base + i * aRow] : ad[base + i * aRow];
                }
            }
        }
    }

    /**
     * bPanel[p][j] = op(B)[pc + p, jc + j] for p &lt; kc, j &lt; nc, reading B along its stored rows
     * (a transposed B is read j by j).
     */
    private static void packB(Operands o, int pc, int kc, int jc, int nc, double[][] bPanel) {
        int bRow = o.bRow();
        int bCol = o.bCol();
        float[] bf = o.bF();
        double[] bd = o.bD();
        if (bCol == 1) {
            for (int p = 0; p < kc; p++) {
                double[] row = bPanel[p];
                int base = (pc + p) * bRow + jc;
                if (bf != null) {
                    for (int j = 0; j < nc; j++) {
                        row[j] = bf[base + j];
                    }
                } else {
                    System.arraycopy(bd, base, row, 0, nc);
                }
            }
        } else {
            for (int j = 0; j < nc; j++) {
                int base = (jc + j) * bCol + pc * bRow;
                for (int p = 0; p < kc; p++) {
                    bPanel[p][j] = bf != null ? bf[base + p * bRow] : bd[base + p * bRow];
                }
            }
        }
    }

    /** c[i] += Σ_p aPanel[i][p] · bPanel[p] for i &lt; mc, p &lt; kc, over the first nc columns. */
    private static void multiplyBlock(double[][] aPanel, int mc, int kc, double[][] bPanel, int nc, double[][] c) {
        int i = 0;
        for (; i + 3 < mc; i += 4) {
            double[] c0 = c[i];
            double[] c1 = c[i + 1];
            double[] c2 = c[i + 2];
            double[] c3 = c[i + 3];
            double[] a0 = aPanel[i];
            double[] a1 = aPanel[i + 1];
            double[] a2 = aPanel[i + 2];
            double[] a3 = aPanel[i + 3];
            int p = 0;
            for (; p + 1 < kc; p += 2) {
                kernel4x2(c0, c1, c2, c3, bPanel[p], bPanel[p + 1], a0[p], a0[p + 1], a1[p], a1[p + 1],
                        a2[p], a2[p + 1], a3[p], a3[p + 1], nc);
            }
            if (p < kc) {
                double[] b0 = bPanel[p];
                kernel1x1(c0, b0, a0[p], nc);
                kernel1x1(c1, b0, a1[p], nc);
                kernel1x1(c2, b0, a2[p], nc);
                kernel1x1(c3, b0, a3[p], nc);
            }
        }
        for (; i < mc; i++) {
            double[] c0 = c[i];
            double[] a0 = aPanel[i];
            for (int p = 0; p < kc; p++) {
                kernel1x1(c0, bPanel[p], a0[p], nc);
            }
        }
    }

    /** c_r += a_r0·b0 + a_r1·b1 for four rows r of C: 16 flops per column, 6 arrays from index 0. */
    private static void kernel4x2(double[] c0, double[] c1, double[] c2, double[] c3, double[] b0, double[] b1,
                                  double a00, double a01, double a10, double a11, double a20, double a21, double a30,
                                  double a31, int n) {
        for (int j = 0; j < n; j++) {
            double x0 = b0[j];
            double x1 = b1[j];
            c0[j] = Math.fma(a01, x1, Math.fma(a00, x0, c0[j]));
            c1[j] = Math.fma(a11, x1, Math.fma(a10, x0, c1[j]));
            c2[j] = Math.fma(a21, x1, Math.fma(a20, x0, c2[j]));
            c3[j] = Math.fma(a31, x1, Math.fma(a30, x0, c3[j]));
        }
    }

    private static void kernel1x1(double[] c0, double[] b0, double a0, int n) {
        for (int j = 0; j < n; j++) {
            c0[j] = Math.fma(a0, b0[j], c0[j]);
        }
    }

}
