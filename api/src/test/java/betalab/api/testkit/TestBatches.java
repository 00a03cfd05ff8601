package betalab.api.testkit;

import betalab.api.preference.PreferenceBatch;
import betalab.api.random.JavaRng;
import betalab.api.random.Rng;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;

/** Made-up preference batches in float64, with every optional field filled, for conformance tests. */
public final class TestBatches {
    private TestBatches() {
    }

    /**
     * n pairs with log-probabilities around −5 (so margins of either sign), lengths in 1 … 8, prompt
     * features of width {@code featureDim}, a representation of width {@code representationDim},
     * prompt log-probabilities and lengths, one-token per-token log-probabilities, and next-token
     * distributions of policy and reference over a vocabulary of 6 at that one position (drawn last, so
     * the fields before them do not depend on them).
     */
    public static PreferenceBatch random(int n, int featureDim, int representationDim, long seed) {
        Rng rng = new JavaRng(seed);
        double[] u = rng.uniform(6 * n, 0, 1);
        double[] pc = new double[n];
        double[] pr = new double[n];
        double[] rc = new double[n];
        double[] rr = new double[n];
        double[] lc = new double[n];
        double[] lr = new double[n];
        for (int i = 0; i < n; i++) {
            pc[i] = -5 + 4 * (u[6 * i] - 0.5);
            pr[i] = -5 + 4 * (u[6 * i + 1] - 0.5);
            rc[i] = -5 + 4 * (u[6 * i + 2] - 0.5);
            rr[i] = -5 + 4 * (u[6 * i + 3] - 0.5);
            lc[i] = 1 + Math.floor(8 * u[6 * i + 4]);
            lr[i] = 1 + Math.floor(8 * u[6 * i + 5]);
        }
        PreferenceBatch.Builder b = PreferenceBatch.of(vector(pc), vector(pr), vector(rc), vector(rr))
                .lengths(vector(lc), vector(lr))
                .prompt(vector(rng.uniform(n, -20, -5)), vector(rng.uniform(n, 3, 12)))
                .tokens(vector(pc).reshape(n, 1), vector(pr).reshape(n, 1));
        if (featureDim > 0) {
            b.features(Tensor.of(DType.FLOAT64, rng.normal(n * featureDim), n, featureDim));
        }
        if (representationDim > 0) {
            b.representation(Tensor.of(DType.FLOAT64, rng.normal(n * representationDim), n, representationDim));
        }
        int vocabulary = 6;
        b.distributions(new PreferenceBatch.Distributions(
                Tensor.of(DType.FLOAT64, rng.normal(2 * n * vocabulary), 2 * n, 1, vocabulary).logSoftmax(2),
                Tensor.of(DType.FLOAT64, rng.normal(2 * n * vocabulary), 2 * n, 1, vocabulary).logSoftmax(2)));
        return b.build();
    }

    private static Tensor vector(double[] v) {
        return Tensor.of(DType.FLOAT64, v, v.length);
    }
}
