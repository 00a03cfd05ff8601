package betalab.api.tensor.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 matrix product on {@code jdk.incubator.vector}, accumulating in float32 as BLAS sgemm
 * does. The only class of the backend that touches the incubator module: {@link Matmul} loads it only
 * when the module is present (see {@link Matmul#VECTOR_MODULE}).
 *
 * <p>The usual GEMM blocking: C is computed in panels of at most NC columns; for each KC-deep slice,
 * op(B)'s panel is packed into micro-panels of NR columns (KC × NR floats, contiguous), then for each
 * block of MC rows a transposed op(A) is packed into micro-panels of MR rows (KC × MR floats), and a
 * register-tiled micro-kernel adds MR × NR of C from one micro-panel of each: per step of depth two
 * vector loads of op(B), MR broadcasts of op(A) and 2·MR fused multiply-adds into 2·MR vector
 * registers. An untransposed op(A) is not packed: its kernel reads MR rows of A in place, with the
 * same arithmetic. Packing reads each operand along its stored rows. Tiles at C's right and bottom
 * edges are computed into a scratch tile (packed panels zero-padded, rows read in place repeating
 * the last) and only their valid part is added into C. MR = 6 leaves the 12 accumulators, two rows of op(B) and a
 * broadcast in the 16 registers of AVX2 as well as the 32 of AVX-512.
 */
final class VectorGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Lanes of one vector: 16 with AVX-512, 8 with AVX2. */
    private static final int L = S.length();
    /** Rows of C per micro-kernel call. */
    static final int MR = 6;
    /** Columns of C per micro-kernel call: two vectors. */
    static final int NR = 2 * L;
    /** Depth of a packed slice: a micro-panel of op(B), KC × NR floats, stays in L1 (32 KB with AVX-512). */
    static final int KC = 256;
    /** Rows of a packed block of op(A), a multiple of MR: MC × KC floats (120 KB) stay in L2. */
    static final int MC = 20 * MR;
    /** Columns of a packed panel of op(B): KC × NC floats (1 MB). */
    static final int NC = 1024;

    private VectorGemm() {
    }

    /** True where vectors hold at least 8 floats (AVX2 or better); narrower ones would not pay. */
    static boolean usable() {
        return L >= 8;
    }

    /** Packed panels and an edge tile for one product at a time (about 1.2 MB), reused. */
    private static final class Scratch {
        final float[] aPack = new float[MC * KC];
        final float[] bPack = new float[KC * ((NC + NR - 1) / NR) * NR];
        final float[] tile = new float[MR * NR];
    }

    /**
     * Scratch not in use. Not thread-locals: the common pool's workers clear theirs after every task,
     * so a split product allocated (and zeroed) a fresh 1.2 MB per part.
     */
    private static final java.util.concurrent.ConcurrentLinkedQueue<Scratch> FREE =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    /**
     * c[cOff + i·n + j] += Σ_p op(A)[i, p] · op(B)[p, j] for rowFrom ≤ i &lt; rowTo, colFrom ≤ j &lt; colTo,
     * where op(A)[i, p] = a[aOff + i·aRow + p·aCol] and op(B)[p, j] = b[bOff + p·bRow + j·bCol]
     * (one of each pair of strides is 1).
     */
    static void multiply(float[] a, int aOff, int aRow, int aCol, float[] b, int bOff, int bRow, int bCol,
                         float[] c, int cOff, int k, int n, int rowFrom, int rowTo, int colFrom, int colTo) {
        Scratch polled = FREE.poll();
        Scratch scratch = polled != null ? polled : new Scratch();
        try {
            float[] aPack = scratch.aPack;
            float[] bPack = scratch.bPack;
            // A stored untransposed is read in place, its rows side by side: packing it would cost as much
            // as the multiply-adds when k is small (attention's heads). Edge panels are packed, zero-padded.
            boolean direct = aCol == 1;
            for (int jc = colFrom; jc < colTo; jc += NC) {
                int nc = Math.min(NC, colTo - jc);
                for (int pc = 0; pc < k; pc += KC) {
                    int kc = Math.min(KC, k - pc);
                    packB(b, bOff, bRow, bCol, pc, kc, jc, nc, bPack);
                    for (int ic = rowFrom; ic < rowTo; ic += MC) {
                        int mc = Math.min(MC, rowTo - ic);
                        if (!direct) {
                            packA(a, aOff, aRow, aCol, ic, mc, pc, kc, aPack);
                        }
                        for (int jr = 0; jr < nc; jr += NR) {
                            int w = Math.min(NR, nc - jr);
                            for (int ir = 0; ir < mc; ir += MR) {
                                int h = Math.min(MR, mc - ir);
                                int co = cOff + (ic + ir) * n + jc + jr;
                                boolean whole = h == MR && w == NR;
                                float[] target = whole ? c : scratch.tile;
                                int to = whole ? co : 0;
                                int ld = whole ? n : NR;
                                if (!whole) {
                                    java.util.Arrays.fill(target, 0f);
                                }
                                if (direct) {
                                    // Rows past the block's last repeat it: their sums land in the tile unread.
                                    int r0 = aOff + (ic + ir) * aRow + pc;
                                    kernelRows(kc, a, r0, r0 + Math.min(1, h - 1) * aRow, r0 + Math.min(2, h - 1) * aRow,
                                            r0 + Math.min(3, h - 1) * aRow, r0 + Math.min(4, h - 1) * aRow,
                                            r0 + Math.min(5, h - 1) * aRow, bPack, jr * kc, target, to, ld);
                                } else {
                                    kernel(kc, aPack, ir * kc, bPack, jr * kc, target, to, ld);
                                }
                                if (!whole) {
                                    addTile(target, c, co, n, h, w);
                                }
                            }
                        }
                    }
                }
            }
        } finally {
            FREE.offer(scratch);
        }
    }

    /**
     * aPack[ir·kc + p·MR + r] = op(A)[ic + ir + r, pc + p] for the rows of the block in micro-panels of
     * MR rows, zero past the block's last row.
     */
    private static void packA(float[] a, int aOff, int aRow, int aCol, int ic, int mc, int pc, int kc,
                              float[] aPack) {
        for (int ir = 0; ir < mc; ir += MR) {
            int h = Math.min(MR, mc - ir);
            int base = ir * kc;
            if (aCol == 1 && h == MR) {
                // op(A) = A: six rows of A read side by side along p, the panel written in order.
                int s0 = aOff + (ic + ir) * aRow + pc;
                int s1 = s0 + aRow;
                int s2 = s1 + aRow;
                int s3 = s2 + aRow;
                int s4 = s3 + aRow;
                int s5 = s4 + aRow;
                for (int p = 0, d = base; p < kc; p++, d += MR) {
                    aPack[d] = a[s0 + p];
                    aPack[d + 1] = a[s1 + p];
                    aPack[d + 2] = a[s2 + p];
                    aPack[d + 3] = a[s3 + p];
                    aPack[d + 4] = a[s4 + p];
                    aPack[d + 5] = a[s5 + p];
                }
            } else if (aCol == 1) {
                // The last, partial panel: each row of A read along p.
                for (int r = 0; r < h; r++) {
                    int src = aOff + (ic + ir + r) * aRow + pc;
                    for (int p = 0; p < kc; p++) {
                        aPack[base + p * MR + r] = a[src + p];
                    }
                }
            } else if (h == MR) {
                // op(A) = Aᵀ: row pc + p of A holds the MR values of step p side by side.
                for (int p = 0, d = base; p < kc; p++, d += MR) {
                    int src = aOff + (pc + p) * aCol + (ic + ir) * aRow;
                    aPack[d] = a[src];
                    aPack[d + 1] = a[src + 1];
                    aPack[d + 2] = a[src + 2];
                    aPack[d + 3] = a[src + 3];
                    aPack[d + 4] = a[src + 4];
                    aPack[d + 5] = a[src + 5];
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (pc + p) * aCol + (ic + ir) * aRow;
                    int dst = base + p * MR;
                    for (int r = 0; r < h; r++) {
                        aPack[dst + r] = a[src + r];
                    }
                }
            }
            if (h < MR) {
                for (int p = 0; p < kc; p++) {
                    for (int r = h; r < MR; r++) {
                        aPack[base + p * MR + r] = 0f;
                    }
                }
            }
        }
    }

    /**
     * bPack[jr·kc + p·NR + j] = op(B)[pc + p, jc + jr + j] for the panel's columns in micro-panels of NR
     * columns, zero past the panel's last column.
     */
    private static void packB(float[] b, int bOff, int bRow, int bCol, int pc, int kc, int jc, int nc,
                              float[] bPack) {
        for (int jr = 0; jr < nc; jr += NR) {
            int w = Math.min(NR, nc - jr);
            int base = jr * kc;
            if (bCol == 1) {
                // op(B) = B: NR consecutive values of row pc + p.
                for (int p = 0; p < kc; p++) {
                    System.arraycopy(b, bOff + (pc + p) * bRow + jc + jr, bPack, base + p * NR, w);
                }
            } else {
                // op(B) = Bᵀ: row jc + jr + j of B is read along p.
                for (int j = 0; j < w; j++) {
                    int src = bOff + (jc + jr + j) * bCol + pc;
                    for (int p = 0; p < kc; p++) {
                        bPack[base + p * NR + j] = b[src + p];
                    }
                }
            }
            if (w < NR) {
                for (int p = 0; p < kc; p++) {
                    java.util.Arrays.fill(bPack, base + p * NR + w, base + (p + 1) * NR, 0f);
                }
            }
        }
    }

    /**
     * c[co + r·ldc + j] += Σ_p aPack[ao + p·MR + r] · bPack[bo + p·NR + j] for r &lt; MR, j &lt; NR. Written
     * out by hand with no helper calls: C2 keeps the twelve accumulators in registers only if nothing
     * forces it to box a vector.
     */
    private static void kernel(int kc, float[] aPack, int ao, float[] bPack, int bo, float[] c, int co, int ldc) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bPack, bo);
            FloatVector b1 = FloatVector.fromArray(S, bPack, bo + L);
            FloatVector x = FloatVector.broadcast(S, aPack[ao]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, aPack[ao + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, aPack[ao + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, aPack[ao + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, aPack[ao + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, aPack[ao + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            ao += MR;
            bo += NR;
        }
        int o = co;
        c00.add(FloatVector.fromArray(S, c, o)).intoArray(c, o);
        c01.add(FloatVector.fromArray(S, c, o + L)).intoArray(c, o + L);
        o += ldc;
        c10.add(FloatVector.fromArray(S, c, o)).intoArray(c, o);
        c11.add(FloatVector.fromArray(S, c, o + L)).intoArray(c, o + L);
        o += ldc;
        c20.add(FloatVector.fromArray(S, c, o)).intoArray(c, o);
        c21.add(FloatVector.fromArray(S, c, o + L)).intoArray(c, o + L);
        o += ldc;
        c30.add(FloatVector.fromArray(S, c, o)).intoArray(c, o);
        c31.add(FloatVector.fromArray(S, c, o + L)).intoArray(c, o + L);
        o += ldc;
        c40.add(FloatVector.fromArray(S, c, o)).intoArray(c, o);
        c41.add(FloatVector.fromArray(S, c, o + L)).intoArray(c, o + L);
        o += ldc;
        c50.add(FloatVector.fromArray(S, c, o)).intoArray(c, o);
        c51.add(FloatVector.fromArray(S, c, o + L)).intoArray(c, o + L);
    }

    /** c[co + r·ldc + j] += tile[r·NR + j] for the valid part of an edge tile, h rows by w columns. */
    private static void addTile(float[] tile, float[] c, int co, int ldc, int h, int w) {
        for (int r = 0; r < h; r++) {
            int o = co + r * ldc;
            int j = 0;
            for (; j + L <= w; j += L) {
                FloatVector.fromArray(S, tile, r * NR + j).add(FloatVector.fromArray(S, c, o + j)).intoArray(c, o + j);
            }
            for (; j < w; j++) {
                c[o + j] += tile[r * NR + j];
            }
        }
    }

    /**
     * {@link #kernel} reading op(A)'s six rows in place, row r of the panel from a[ar + p]: the same
     * arithmetic in the same order.
     */
    private static void kernelRows(int kc, float[] a, int ao, int a1, int a2, int a3, int a4, int a5, float[] bPack,
                                   int bo, float[] c, int co, int ldc) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bPack, bo);
            FloatVector b1 = FloatVector.fromArray(S, bPack, bo + L);
            FloatVector x = FloatVector.broadcast(S, a[ao + p]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + p]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + p]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + p]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + p]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[a5 + p]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            bo += NR;
        }
        int o = co;
        c00.add(FloatVector.fromArray(S, c, o)).intoArray(c, o);
        c01.add(FloatVector.fromArray(S, c, o + L)).intoArray(c, o + L);
        o += ldc;
        c10.add(FloatVector.fromArray(S, c, o)).intoArray(c, o);
        c11.add(FloatVector.fromArray(S, c, o + L)).intoArray(c, o + L);
        o += ldc;
        c20.add(FloatVector.fromArray(S, c, o)).intoArray(c, o);
        c21.add(FloatVector.fromArray(S, c, o + L)).intoArray(c, o + L);
        o += ldc;
        c30.add(FloatVector.fromArray(S, c, o)).intoArray(c, o);
        c31.add(FloatVector.fromArray(S, c, o + L)).intoArray(c, o + L);
        o += ldc;
        c40.add(FloatVector.fromArray(S, c, o)).intoArray(c, o);
        c41.add(FloatVector.fromArray(S, c, o + L)).intoArray(c, o + L);
        o += ldc;
        c50.add(FloatVector.fromArray(S, c, o)).intoArray(c, o);
        c51.add(FloatVector.fromArray(S, c, o + L)).intoArray(c, o + L);
    }
}
