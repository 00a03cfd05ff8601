package betalab.api.tensor;

/**
 * {@link TensorBackend}'s default kernels for the transformer operations: plain loops in double on
 * copies of the operands, rounded once into the result's precision. They define the values a
 * backend's own kernels must give (to rounding) and serve any backend that has none.
 */
final class ReferenceKernels {
    private ReferenceKernels() {
    }

    static Storage[] rmsNorm(TensorBackend be, Storage x, Storage weight, int width, double eps) {
        double[] in = be.toDoubleArray(x);
        double[] w = be.toDoubleArray(weight);
        int rows = rows(in.length, width);
        double[] out = new double[in.length];
        double[] rstd = new double[rows];
        for (int r = 0; r < rows; r++) {
            int o = r * width;
            double squares = 0;
            for (int j = 0; j < width; j++) {
                squares += in[o + j] * in[o + j];
            }
            rstd[r] = 1 / Math.sqrt(squares / width + eps);
            for (int j = 0; j < width; j++) {
                out[o + j] = in[o + j] * rstd[r] * w[j];
            }
        }
        return new Storage[] {be.of(out, DType.widest(x.dtype(), weight.dtype())), be.of(rstd, DType.FLOAT64)};
    }

    static Storage[] rmsNormBackward(TensorBackend be, Storage x, Storage weight, Storage rstdS, Storage gradY,
                                     int width) {
        double[] in = be.toDoubleArray(x);
        double[] w = be.toDoubleArray(weight);
        double[] rstd = be.toDoubleArray(rstdS);
        double[] g = be.toDoubleArray(gradY);
        double[] dx = new double[in.length];
        double[] dw = new double[width];
        for (int r = 0; r < rstd.length; r++) {
            int o = r * width;
            // x̂ = x·rstd, dx = rstd·(g·w − x̂·mean(g·w·x̂))
            double dot = 0;
            for (int j = 0; j < width; j++) {
                double xhat = in[o + j] * rstd[r];
                dot += g[o + j] * w[j] * xhat;
                dw[j] += g[o + j] * xhat;
            }
            dot /= width;
            for (int j = 0; j < width; j++) {
                dx[o + j] = rstd[r] * (g[o + j] * w[j] - in[o + j] * rstd[r] * dot);
            }
        }
        DType dtype = DType.widest(DType.widest(x.dtype(), weight.dtype()), gradY.dtype());
        return new Storage[] {be.of(dx, DType.widest(x.dtype(), gradY.dtype())), be.of(dw, dtype)};
    }

    static Storage[] layerNorm(TensorBackend be, Storage x, Storage weight, Storage bias, int width, double eps) {
        double[] in = be.toDoubleArray(x);
        double[] w = be.toDoubleArray(weight);
        double[] b = be.toDoubleArray(bias);
        int rows = rows(in.length, width);
        double[] out = new double[in.length];
        double[] stats = new double[2 * rows];
        for (int r = 0; r < rows; r++) {
            int o = r * width;
            double sum = 0;
            for (int j = 0; j < width; j++) {
                sum += in[o + j];
            }
            double mean = sum / width;
            double squares = 0;
            for (int j = 0; j < width; j++) {
                squares += (in[o + j] - mean) * (in[o + j] - mean);
            }
            double rstd = 1 / Math.sqrt(squares / width + eps);
            stats[2 * r] = mean;
            stats[2 * r + 1] = rstd;
            for (int j = 0; j < width; j++) {
                out[o + j] = (in[o + j] - mean) * rstd * w[j] + b[j];
            }
        }
        DType dtype = DType.widest(DType.widest(x.dtype(), weight.dtype()), bias.dtype());
        return new Storage[] {be.of(out, dtype), be.of(stats, DType.FLOAT64)};
    }

    static Storage[] layerNormBackward(TensorBackend be, Storage x, Storage weight, Storage statsS, Storage gradY,
                                       int width) {
        double[] in = be.toDoubleArray(x);
        double[] w = be.toDoubleArray(weight);
        double[] stats = be.toDoubleArray(statsS);
        double[] g = be.toDoubleArray(gradY);
        int rows = stats.length / 2;
        double[] dx = new double[in.length];
        double[] dw = new double[width];
        double[] db = new double[width];
        for (int r = 0; r < rows; r++) {
            int o = r * width;
            double mean = stats[2 * r];
            double rstd = stats[2 * r + 1];
            // dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·w
            double sum = 0;
            double dot = 0;
            for (int j = 0; j < width; j++) {
                double xhat = (in[o + j] - mean) * rstd;
                double gw = g[o + j] * w[j];
                sum += gw;
                dot += gw * xhat;
                dw[j] += g[o + j] * xhat;
                db[j] += g[o + j];
            }
            sum /= width;
            dot /= width;
            for (int j = 0; j < width; j++) {
                double xhat = (in[o + j] - mean) * rstd;
                dx[o + j] = rstd * (g[o + j] * w[j] - sum - xhat * dot);
            }
        }
        DType dtype = DType.widest(DType.widest(x.dtype(), weight.dtype()), gradY.dtype());
        return new Storage[] {be.of(dx, DType.widest(x.dtype(), gradY.dtype())), be.of(dw, dtype), be.of(db, dtype)};
    }

    static Storage rope(TensorBackend be, Storage x, Storage cosS, Storage sinS, int[] positions, int headDim,
                        boolean inverse) {
        double[] in = be.toDoubleArray(x);
        double[] cos = be.toDoubleArray(cosS);
        double[] sin = be.toDoubleArray(sinS);
        int half = headDim / 2;
        int width = in.length / Math.max(positions.length, 1);
        double[] out = new double[in.length];
        for (int r = 0; r < positions.length; r++) {
            int t = positions[r] * half;
            for (int h = r * width; h < (r + 1) * width; h += headDim) {
                for (int i = 0; i < half; i++) {
                    double c = cos[t + i];
                    double s = inverse ? -sin[t + i] : sin[t + i];
                    double a = in[h + i];
                    double b = in[h + i + half];
                    out[h + i] = a * c - b * s;
                    out[h + i + half] = b * c + a * s;
                }
            }
        }
        return be.of(out, x.dtype());
    }

    static Storage[] tokenLogProbs(TensorBackend be, Storage logits, int vocab, int[] targets) {
        double[] in = be.toDoubleArray(logits);
        double[] out = new double[targets.length];
        double[] logSumExp = new double[targets.length];
        for (int r = 0; r < targets.length; r++) {
            int o = r * vocab;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < vocab; j++) {
                max = Math.max(max, in[o + j]);
            }
            double sum = 0;
            for (int j = 0; j < vocab; j++) {
                sum += Math.exp(in[o + j] - max);
            }
            logSumExp[r] = max + Math.log(sum);
            out[r] = targets[r] < 0 ? 0 : (in[o + targets[r]] - max) - Math.log(sum);
        }
        return new Storage[] {be.of(out, logits.dtype()), be.of(logSumExp, DType.FLOAT64)};
    }

    static Storage tokenLogProbsBackward(TensorBackend be, Storage logits, Storage logSumExpS, int[] targets,
                                         Storage gradS, int vocab) {
        double[] in = be.toDoubleArray(logits);
        double[] logSumExp = be.toDoubleArray(logSumExpS);
        double[] g = be.toDoubleArray(gradS);
        double[] out = new double[in.length];
        for (int r = 0; r < targets.length; r++) {
            if (targets[r] < 0) {
                continue;
            }
            int o = r * vocab;
            for (int j = 0; j < vocab; j++) {
                out[o + j] = -g[r] * Math.exp(in[o + j] - logSumExp[r]);
            }
            out[o + targets[r]] += g[r];
        }
        return be.of(out, DType.widest(logits.dtype(), gradS.dtype()));
    }

    static Storage[] attention(TensorBackend be, Storage qS, Storage kS, Storage vS, Attention a, boolean[] keyMask) {
        double[] q = be.toDoubleArray(qS);
        double[] k = be.toDoubleArray(kS);
        double[] v = be.toDoubleArray(vS);
        int d = a.headDim();
        int t = a.queries();
        int keys = a.keys();
        int qw = a.queryWidth();
        int kw = a.keyWidth();
        double scale = 1 / Math.sqrt(d);
        double[] out = new double[a.batch() * t * qw];
        double[] probs = new double[a.probabilities()];
        double[] scores = new double[keys];
        for (int s = 0; s < a.batch(); s++) {
            for (int h = 0; h < a.heads(); h++) {
                int kh = h / a.groups();
                for (int i = 0; i < t; i++) {
                    int qo = (s * t + i) * qw + h * d;
                    int visible = a.past() + i + 1;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < visible; j++) {
                        if (keyMask != null && !keyMask[s * keys + j]) {
                            continue;
                        }
                        int ko = (s * keys + j) * kw + kh * d;
                        double dot = 0;
                        for (int e = 0; e < d; e++) {
                            dot += q[qo + e] * k[ko + e];
                        }
                        scores[j] = dot * scale;
                        max = Math.max(max, scores[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < visible; j++) {
                        if (keyMask == null || keyMask[s * keys + j]) {
                            scores[j] = Math.exp(scores[j] - max);
                            sum += scores[j];
                        }
                    }
                    int po = ((s * a.heads() + h) * t + i) * keys;
                    for (int j = 0; j < visible; j++) {
                        if (keyMask == null || keyMask[s * keys + j]) {
                            double p = scores[j] / sum;
                            probs[po + j] = p;
                            int vo = (s * keys + j) * kw + kh * d;
                            for (int e = 0; e < d; e++) {
                                out[qo + e] += p * v[vo + e];
                            }
                        }
                    }
                }
            }
        }
        DType dtype = DType.widest(DType.widest(qS.dtype(), kS.dtype()), vS.dtype());
        return new Storage[] {be.of(out, dtype), be.of(probs, dtype)};
    }

    static Storage[] attentionBackward(TensorBackend be, Storage qS, Storage kS, Storage vS, Storage probsS,
                                       Storage gradS, Attention a) {
        double[] q = be.toDoubleArray(qS);
        double[] k = be.toDoubleArray(kS);
        double[] v = be.toDoubleArray(vS);
        double[] probs = be.toDoubleArray(probsS);
        double[] g = be.toDoubleArray(gradS);
        int d = a.headDim();
        int t = a.queries();
        int keys = a.keys();
        int qw = a.queryWidth();
        int kw = a.keyWidth();
        double scale = 1 / Math.sqrt(d);
        double[] dq = new double[q.length];
        double[] dk = new double[k.length];
        double[] dv = new double[v.length];
        double[] dp = new double[keys];
        for (int s = 0; s < a.batch(); s++) {
            for (int h = 0; h < a.heads(); h++) {
                int kh = h / a.groups();
                for (int i = 0; i < t; i++) {
                    int qo = (s * t + i) * qw + h * d;
                    int po = ((s * a.heads() + h) * t + i) * keys;
                    // dP = dO·Vᵀ, dV += Pᵀ·dO; then the softmax: dS = P·(dP − Σ P·dP), scaled
                    double dot = 0;
                    for (int j = 0; j < keys; j++) {
                        int vo = (s * keys + j) * kw + kh * d;
                        double sum = 0;
                        for (int e = 0; e < d; e++) {
                            sum += g[qo + e] * v[vo + e];
                            dv[vo + e] += probs[po + j] * g[qo + e];
                        }
                        dp[j] = sum;
                        dot += probs[po + j] * sum;
                    }
                    for (int j = 0; j < keys; j++) {
                        double ds = probs[po + j] * (dp[j] - dot) * scale;
                        int ko = (s * keys + j) * kw + kh * d;
                        for (int e = 0; e < d; e++) {
                            dq[qo + e] += ds * k[ko + e];
                            dk[ko + e] += ds * q[qo + e];
                        }
                    }
                }
            }
        }
        DType dtype = DType.widest(DType.widest(DType.widest(qS.dtype(), kS.dtype()), vS.dtype()), gradS.dtype());
        return new Storage[] {be.of(dq, dtype), be.of(dk, dtype), be.of(dv, dtype)};
    }

    static Storage concat(TensorBackend be, Storage[] parts, int[] lengths, int outer, int inner) {
        int total = 0;
        for (int l : lengths) {
            total += l;
        }
        double[] out = new double[outer * total * inner];
        DType dtype = parts[0].dtype();
        int offset = 0;
        for (int p = 0; p < parts.length; p++) {
            double[] in = be.toDoubleArray(parts[p]);
            int block = lengths[p] * inner;
            for (int o = 0; o < outer; o++) {
                System.arraycopy(in, o * block, out, (o * total + offset) * inner, block);
            }
            offset += lengths[p];
            dtype = DType.widest(dtype, parts[p].dtype());
        }
        return be.of(out, dtype);
    }

    private static int rows(int size, int width) {
        if (width < 1 || size % width != 0) {
            throw new IllegalArgumentException(size + " elements are not rows of width " + width);
        }
        return size / width;
    }
}
