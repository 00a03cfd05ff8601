package betalab.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.PreferenceBatch;
import betalab.api.tensor.DType;
import betalab.api.testkit.GradientCheck;
import betalab.api.tensor.Tensor;
import org.junit.jupiter.api.Test;

class SigmoidLossTest {
    private final SigmoidLoss loss = new SigmoidLoss();

    private static Tensor f64(double... v) {
        return Tensor.of(DType.FLOAT64, v, v.length);
    }

    private static PreferenceBatch batch(Tensor pc, Tensor pr, Tensor rc, Tensor rr) {
        return PreferenceBatch.of(pc, pr, rc, rr).build();
    }

    /** −log σ(z) = log(1 + e^(−z)), evaluated where it is well conditioned. */
    private static double reference(double z) {
        return z > 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z));
    }

    @Test
    void matchesClosedFormIncludingExtremes() {
        double[] h = {0.7, -1.3, 0.0, 1e4, -1e4, 2.5, -2.5, 1e-3};
        double[] beta = {0.1, 2.0, 1.0, 1.0, 1.0, 1e-8, 1e-8, 1e4};
        Tensor losses = loss.perPair(batch(f64(h), f64(new double[h.length]), f64(new double[h.length]),
                f64(new double[h.length])), f64(beta));
        double[] v = losses.toDoubleArray();
        for (int i = 0; i < h.length; i++) {
            assertThat(v[i]).as("pair %d", i).isFinite().isCloseTo(reference(beta[i] * h[i]), within(1e-12));
        }
        assertThat(v[3]).isZero();
        assertThat(v[4]).isEqualTo(1e4);
    }

    @Test
    void gradientInBetaIsMinusHTimesSigmaOfMinusBetaH() {
        double[] pc = {0.3, -0.2, 1.5, -3.0};
        double[] pr = {-0.4, 0.9, 0.1, -1.0};
        double[] rc = {0.1, 0.1, -0.5, 0.2};
        double[] rr = {0.0, -0.3, 0.4, 0.3};
        Tensor beta = f64(0.5, 2.0, 0.05, 7.0).asParameter();
        loss.perPair(batch(f64(pc), f64(pr), f64(rc), f64(rr)), beta).sum().backward();
        double[] g = beta.grad().toDoubleArray();
        double[] b = beta.toDoubleArray();
        for (int i = 0; i < pc.length; i++) {
            double h = (pc[i] - rc[i]) - (pr[i] - rr[i]);
            double expected = -h / (1 + Math.exp(b[i] * h));
            assertThat(g[i]).as("pair %d", i).isCloseTo(expected, within(1e-12));
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        GradientCheck.check(t -> loss.perPair(batch(t[0], t[1], t[2], t[3]), t[4]).mean(),
                f64(0.3, -0.2, 1.5), f64(-0.4, 0.9, 0.1), f64(0.1, 0.1, -0.5), f64(0.0, -0.3, 0.4),
                f64(0.5, 2.0, 0.05));
    }
}
