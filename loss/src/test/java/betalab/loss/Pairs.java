package betalab.loss;

import betalab.api.preference.PreferenceBatch;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.function.DoubleUnaryOperator;

/**
 * Test points: per-pair log-probabilities, lengths and β as plain doubles, turned into float64
 * tensors for the losses and into {@link Formulas.Pair}s for the references.
 */
record Pairs(double[] pc, double[] pr, double[] rc, double[] rr, double[] lw, double[] ll, double[] beta) {

    /** Ordinary values: log-probs of a few tokens, varied lengths and β; margins well away from kinks and ties. */
    static final Pairs ORDINARY = new Pairs(
            new double[] {-12.3, -40.1, -7.5, -25.0, -3.2},
            new double[] {-14.0, -38.2, -9.1, -24.2, -6.0},
            new double[] {-12.9, -39.5, -8.4, -24.1, -4.0},
            new double[] {-13.1, -38.9, -8.0, -25.3, -5.1},
            new double[] {3, 1, 7, 2, 12},
            new double[] {5, 2, 1, 4, 9},
            new double[] {0.1, 0.5, 2.0, 1.3, 0.25});

    /** Extremes: |βh| up to 1e4 both ways, β down to 1e-8 and up to 1e4, h = 0, lengths 1. */
    static final Pairs EXTREME = new Pairs(
            new double[] {1e4, -1e4, 2.5, -2.5, 0.3, 5e3, 0, -40},
            new double[] {0, 0, -1.5, 1.5, -0.4, -5e3, 0, 60},
            new double[] {0, 0, 0.5, 0.1, 0, 0, 0, 10},
            new double[] {0, 0, 0.2, -0.3, 0.1, 0, 0, -10},
            ones(8),
            ones(8),
            new double[] {1, 1, 1e-8, 1e-8, 1e4, 1, 1e-8, 20});

    static double[] ones(int n) {
        double[] v = new double[n];
        java.util.Arrays.fill(v, 1.0);
        return v;
    }

    static Tensor f64(double... v) {
        return Tensor.of(DType.FLOAT64, v, v.length);
    }

    int size() {
        return pc.length;
    }

    /** These points with every completion one token long. */
    Pairs unitLengths() {
        return new Pairs(pc, pr, rc, rr, ones(size()), ones(size()), beta);
    }

    Formulas.Pair pair(int i, DoubleUnaryOperator s) {
        return new Formulas.Pair(pc[i], pr[i], rc[i], rr[i], lw[i], ll[i], beta[i], s);
    }

    /** The differentiable inputs: the four log-probability vectors, then β. */
    Tensor[] inputs() {
        return new Tensor[] {f64(pc), f64(pr), f64(rc), f64(rr), f64(beta)};
    }

    /** A batch of the given log-probabilities (as from {@link #inputs()}) with these lengths. */
    PreferenceBatch batch(Tensor... t) {
        return PreferenceBatch.of(t[0], t[1], t[2], t[3]).lengths(f64(lw), f64(ll)).build();
    }

    PreferenceBatch batch() {
        return batch(inputs());
    }

    Tensor betaTensor() {
        return f64(beta);
    }
}
