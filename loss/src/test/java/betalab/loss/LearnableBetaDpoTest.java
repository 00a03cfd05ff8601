package betalab.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.nn.Module;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceObjective;
import betalab.api.tensor.DType;
import betalab.api.testkit.GradientCheck;
import betalab.api.tensor.Tensor;
import org.junit.jupiter.api.Test;

class LearnableBetaDpoTest {

    /** β = exp(w·x) per pair: enough structure to see gradients reach an estimator's parameter. */
    private static final class ExpLinearBeta extends Module implements BetaEstimator {
        private final Tensor w;

        ExpLinearBeta(double... weights) {
            w = parameter("w", Tensor.of(DType.FLOAT64, weights, weights.length, 1));
        }

        @Override
        public Tensor beta(PreferenceBatch batch) {
            return batch.features().matmul(w).exp().flatten();
        }
    }

    private static PreferenceBatch batch() {
        Tensor margin = Tensor.of(DType.FLOAT64, new double[] {0.8, -0.5, 1.2}, 3);
        Tensor x = Tensor.of(DType.FLOAT64, new double[] {0.1, -0.3, 0.7, 0.2, -0.5, 0.4}, 3, 2);
        return PreferenceBatch.ofMargins(margin, x);
    }

    @Test
    void isTheMeanOfTheLossAtTheEstimatedBeta() {
        ExpLinearBeta beta = new ExpLinearBeta(0.4, -0.6);
        PreferenceObjective.Evaluation e = new LearnableBetaDpo(beta, new SigmoidLoss()).evaluate(batch());
        double[] b = e.beta().toDoubleArray();
        double[] h = {0.8, -0.5, 1.2};
        double expected = 0;
        for (int i = 0; i < 3; i++) {
            expected += Math.log1p(Math.exp(-b[i] * h[i])) / 3;
        }
        assertThat(e.loss().item()).isCloseTo(expected, within(1e-12));
        assertThat(e.perPair().shape()).containsExactly(3);
    }

    @Test
    void gradientReachesTheEstimatorsParameters() {
        PreferenceBatch data = batch();
        GradientCheck.check(t -> {
            BetaEstimator beta = b -> b.features().matmul(t[0]).exp().flatten();
            return new LearnableBetaDpo(beta, new SigmoidLoss()).evaluate(data).loss();
        }, Tensor.of(DType.FLOAT64, new double[] {0.4, -0.6}, 2, 1));

        ExpLinearBeta beta = new ExpLinearBeta(0.4, -0.6);
        new LearnableBetaDpo(beta, new SigmoidLoss()).evaluate(data).loss().backward();
        assertThat(beta.parameters().get(0).grad()).isNotNull();
    }
}
