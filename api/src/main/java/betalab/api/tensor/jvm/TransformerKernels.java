package betalab.api.tensor.jvm;

import betalab.api.tensor.Attention;

/**
 * The JVM backend's float32 kernels for the transformer operations, each one pass over its rows
 * (see {@link betalab.api.tensor.TensorBackend} for what they compute). Row statistics and sums
 * accumulate in double, exponentials use {@link FastExp}; the attention's products run on
 * {@link Matmul#accumulate} straight from the row layout, one sequence and key/value head per task.
 */
final class TransformerKernels {
    private final Matmul matmul;
    /** Exponentials on {@link VectorMath}: where the vector product runs. */
    private final boolean vector;

    TransformerKernels(Matmul matmul) {
        this.matmul = matmul;
        this.vector = matmul.usesVectorKernel();
    }

    /** {y, rstd}: y = (x·rstd)·w rounded as transformers rounds it (the normalised row to float first). */
    static float[] rmsNorm(float[] x, float[] w, double eps, double[] rstd) {
        int width = w.length;
        float[] y = new float[x.length];
        for (int r = 0; r < rstd.length; r++) {
            int o = r * width;
            double squares = 0;
            for (int j = 0; j < width; j++) {
                squares += (double) x[o + j] * x[o + j];
            }
            double inverse = 1 / Math.sqrt(squares / width + eps);
            rstd[r] = inverse;
            for (int j = 0; j < width; j++) {
                y[o + j] = (float) (x[o + j] * inverse) * w[j];
            }
        }
        return y;
    }

    /** {dx, dw} of {@link #rmsNorm}. */
    static float[][] rmsNormBackward(float[] x, float[] w, double[] rstd, float[] g) {
        int width = w.length;
        float[] dx = new float[x.length];
        double[] dw = new double[width];
        for (int r = 0; r < rstd.length; r++) {
            int o = r * width;
            double inverse = rstd[r];
            double dot = 0;
            for (int j = 0; j < width; j++) {
                double xhat = x[o + j] * inverse;
                dot += g[o + j] * w[j] * xhat;
                dw[j] += g[o + j] * xhat;
            }
            dot /= width;
            for (int j = 0; j < width; j++) {
                dx[o + j] = (float) (inverse * (g[o + j] * w[j] - x[o + j] * inverse * dot));
            }
        }
        return new float[][] {dx, JvmStorage.narrow(dw)};
    }

    /** Rotate-half RoPE; inverse turns by the opposite angle. Each product rounded to float, as x·cos + rotate_half(x)·sin. */
    static float[] rope(float[] x, float[] cos, float[] sin, int[] positions, int headDim, boolean inverse) {
        int half = headDim / 2;
        int width = positions.length == 0 ? 0 : x.length / positions.length;
        float[] out = new float[x.length];
        for (int r = 0; r < positions.length; r++) {
            int t = positions[r] * half;
            for (int h = r * width; h < (r + 1) * width; h += headDim) {
                for (int i = 0; i < half; i++) {
                    float c = cos[t + i];
                    float s = inverse ? -sin[t + i] : sin[t + i];
                    float a = x[h + i];
                    float b = x[h + i + half];
                    out[h + i] = a * c + b * -s;
                    out[h + i + half] = b * c + a * s;
                }
            }
        }
        return out;
    }

    /** Token log-probs, 0 for negative targets; fills logSumExp per row. */
    float[] tokenLogProbs(float[] logits, int vocab, int[] targets, double[] logSumExp) {
        float[] out = new float[targets.length];
        float[] scratch = vector ? new float[vocab] : null;
        for (int r = 0; r < targets.length; r++) {
            int o = r * vocab;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < vocab; j++) {
                max = Math.max(max, logits[o + j]);
            }
            double sum = 0;
            if (vector && max != Float.NEGATIVE_INFINITY) {
                sum = VectorMath.exp(logits, o, vocab, 1f, max, 1f, scratch, 0);
            } else {
                for (int j = 0; j < vocab; j++) {
                    sum += FastExp.exp(logits[o + j] - (double) max);
                }
            }
            double logSum = Math.log(sum);
            logSumExp[r] = max + logSum;
            out[r] = targets[r] < 0 ? 0f : (float) ((logits[o + targets[r]] - max) - logSum);
        }
        return out;
    }

    float[] tokenLogProbsBackward(float[] logits, double[] logSumExp, int[] targets, float[] g, int vocab) {
        float[] out = new float[logits.length];
        for (int r = 0; r < targets.length; r++) {
            if (targets[r] < 0) {
                continue;
            }
            int o = r * vocab;
            double gr = g[r];
            double lse = logSumExp[r];
            if (vector && Double.isFinite(lse)) {
                VectorMath.exp(logits, o, vocab, 1f, (float) lse, (float) -gr, out, o);
            } else {
                for (int j = 0; j < vocab; j++) {
                    out[o + j] = (float) (-gr * FastExp.exp(logits[o + j] - lse));
                }
            }
            out[o + targets[r]] = (float) (out[o + targets[r]] + gr);
        }
        return out;
    }

    /**
     * out and probabilities of causal attention. Per (sequence, key/value head), for each query head of
     * its group: scores = q·kᵀ into the head's slice of probs, scaled, masked and turned into
     * probabilities in place row by row, then out = probs·v.
     */
    void attention(float[] q, float[] k, float[] v, Attention a, boolean[] keyMask, float[] out, float[] probs) {
        int t = a.queries();
        int keys = a.keys();
        int d = a.headDim();
        int qw = a.queryWidth();
        int kw = a.keyWidth();
        // As the composed graph rounds it: the scale to float, then each score times it.
        float scale = (float) (1 / Math.sqrt(d));
        long work = 2L * a.batch() * a.heads() * t * keys * d;
        matmul.forEach(a.batch() * a.kvHeads(), work, unit -> {
            int s = unit / a.kvHeads();
            int kh = unit % a.kvHeads();
            int ko = s * keys * kw + kh * d;
            for (int h = kh * a.groups(); h < (kh + 1) * a.groups(); h++) {
                int qo = s * t * qw + h * d;
                int po = (s * a.heads() + h) * t * keys;
                matmul.accumulate(q, qo, qw, 1, k, ko, 1, kw, probs, po, keys, t, d, keys);
                for (int i = 0; i < t; i++) {
                    softmaxRow(probs, po + i * keys, keys, a.past() + i + 1, scale, keyMask, s * keys);
                }
                matmul.accumulate(probs, po, keys, 1, v, ko, kw, 1, out, qo, qw, t, keys, d);
            }
        });
    }

    /**
     * Row [row, row + keys) of scores becomes softmax(scores·scale) over its first {@code visible}
     * entries (those the key mask, read from maskOff, keeps), 0 elsewhere; no entry kept gives all 0.
     */
    private void softmaxRow(float[] p, int row, int keys, int visible, float scale, boolean[] keyMask, int maskOff) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < visible; j++) {
            if (keyMask == null || keyMask[maskOff + j]) {
                max = Math.max(max, p[row + j] * scale);
            }
        }
        if (vector && keyMask == null) {
            float inverse = (float) (1 / VectorMath.exp(p, row, visible, scale, max, 1f, p, row));
            for (int j = 0; j < visible; j++) {
                p[row + j] *= inverse;
            }
        } else {
            double sum = 0;
            for (int j = 0; j < visible; j++) {
                if (keyMask == null || keyMask[maskOff + j]) {
                    sum += FastExp.exp(p[row + j] * scale - (double) max);
                }
            }
            double inverse = 1 / sum;
            for (int j = 0; j < visible; j++) {
                boolean kept = keyMask == null || keyMask[maskOff + j];
                p[row + j] = kept ? (float) (FastExp.exp(p[row + j] * scale - (double) max) * inverse) : 0f;
            }
        }
        java.util.Arrays.fill(p, row + visible, row + keys, 0f);
    }

    /**
     * dq, dk, dv of {@link #attention}: per (sequence, key/value head), for each query head of its
     * group: dv += pᵀ·g, dp = g·vᵀ, ds = p·(dp − Σ p·dp)·scale, dq = ds·k, dk += dsᵀ·q. A task writes
     * only its own head's columns, so tasks need no locks.
     */
    void attentionBackward(float[] q, float[] k, float[] v, float[] probs, float[] g, Attention a, float[] dq,
                           float[] dk, float[] dv) {
        int t = a.queries();
        int keys = a.keys();
        int d = a.headDim();
        int qw = a.queryWidth();
        int kw = a.keyWidth();
        double scale = 1 / Math.sqrt(d);
        long work = 4L * a.batch() * a.heads() * t * keys * d;
        matmul.forEach(a.batch() * a.kvHeads(), work, unit -> {
            int s = unit / a.kvHeads();
            int kh = unit % a.kvHeads();
            int ko = s * keys * kw + kh * d;
            float[] ds = new float[t * keys];
            for (int h = kh * a.groups(); h < (kh + 1) * a.groups(); h++) {
                int qo = s * t * qw + h * d;
                int po = (s * a.heads() + h) * t * keys;
                matmul.accumulate(probs, po, 1, keys, g, qo, qw, 1, dv, ko, kw, keys, t, d);
                java.util.Arrays.fill(ds, 0f);
                matmul.accumulate(g, qo, qw, 1, v, ko, 1, kw, ds, 0, keys, t, d, keys);
                for (int i = 0; i < t; i++) {
                    int row = i * keys;
                    int visible = a.past() + i + 1;
                    double dot = 0;
                    for (int j = 0; j < visible; j++) {
                        dot += (double) probs[po + row + j] * ds[row + j];
                    }
                    for (int j = 0; j < keys; j++) {
                        ds[row + j] = j < visible ? (float) (probs[po + row + j] * (ds[row + j] - dot) * scale) : 0f;
                    }
                }
                matmul.accumulate(ds, 0, keys, 1, k, ko, kw, 1, dq, qo, qw, t, keys, d);
                matmul.accumulate(ds, 0, 1, keys, q, qo, qw, 1, dk, ko, kw, keys, t, d);
            }
        });
    }
}
