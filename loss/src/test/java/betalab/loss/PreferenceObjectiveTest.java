package betalab.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.nn.Module;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceObjective;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import betalab.api.testkit.GradientCheck;
import org.junit.jupiter.api.Test;

/** The objective that joins a β scheme to a loss (LearnableBetaDPO), with this module's DPO loss. */
class PreferenceObjectiveTest {
    private static final double[] H = {0.8, -0.5, 1.2};
    private static final double[] X = {0.1, -0.3, 0.7, 0.2, -0.5, 0.4};

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
        Tensor margin = Tensor.of(DType.FLOAT64, H, 3);
        Tensor x = Tensor.of(DType.FLOAT64, X, 3, 2);
        return PreferenceBatch.ofMargins(margin, x);
    }

    private static Tensor f64(double... v) {
        return Tensor.of(DType.FLOAT64, v, v.length);
    }

    @Test
    void isTheMeanOfTheLossAtTheEstimatedBeta() {
        ExpLinearBeta beta = new ExpLinearBeta(0.4, -0.6);
        PreferenceObjective.Evaluation e = new PreferenceObjective(beta, new SigmoidLoss()).evaluate(batch());
        double[] b = e.beta().toDoubleArray();
        double expected = 0;
        for (int i = 0; i < 3; i++) {
            assertThat(b[i]).isCloseTo(Math.exp(0.4 * X[2 * i] - 0.6 * X[2 * i + 1]), within(1e-15));
            expected += Math.log1p(Math.exp(-b[i] * H[i])) / 3;
        }
        assertThat(e.loss().item()).isCloseTo(expected, within(1e-12));
        assertThat(e.perPair().shape()).containsExactly(3);
        assertThat(e.weights()).isNull();
    }

    @Test
    void gradientReachesTheEstimatorsParameters() {
        PreferenceBatch data = batch();
        GradientCheck.check(t -> {
            BetaEstimator beta = b -> b.features().matmul(t[0]).exp().flatten();
            return new PreferenceObjective(beta, new SigmoidLoss()).evaluate(data).loss();
        }, Tensor.of(DType.FLOAT64, new double[] {0.4, -0.6}, 2, 1));

        ExpLinearBeta beta = new ExpLinearBeta(0.4, -0.6);
        new PreferenceObjective(beta, new SigmoidLoss()).evaluate(data).loss().backward();
        assertThat(beta.parameters().get(0).grad()).isNotNull();
    }

    /** A training step weighs the pairs by the scheme's weights and adds its penalty: Σ wᵢℓᵢ / Σ wᵢ + p. */
    @Test
    void aTrainingStepWeighsThePairsAndAddsThePenalty() {
        BetaEstimator weighted = new BetaEstimator() {
            @Override
            public Tensor beta(PreferenceBatch batch) {
                return f64(0.5, 2.0, 1.0);
            }

            @Override
            public Estimate train(PreferenceBatch batch) {
                return new Estimate(beta(batch), f64(1, 0, 3), Tensor.of(DType.FLOAT64, new double[] {0.25}, 1));
            }
        };
        PreferenceObjective.Evaluation e = new PreferenceObjective(weighted, new SigmoidLoss()).train(batch());
        double l0 = Math.log1p(Math.exp(-0.5 * H[0]));
        double l2 = Math.log1p(Math.exp(-1.0 * H[2]));
        assertThat(e.loss().item()).isCloseTo((l0 + 3 * l2) / 4 + 0.25, within(1e-12));
        assertThat(e.weights().toDoubleArray()).containsExactly(1, 0, 3);
        // evaluation ignores weights and penalty
        PreferenceObjective.Evaluation plain = new PreferenceObjective(weighted, new SigmoidLoss()).evaluate(batch());
        double l1 = Math.log1p(Math.exp(-2.0 * H[1]));
        assertThat(plain.loss().item()).isCloseTo((l0 + l1 + l2) / 3, within(1e-12));
    }

    /** The data's own pair weights: Σwᵢℓᵢ/Σwᵢ by hand, weight 0 as leaving the pair out, all 0 as nothing. */
    @Test
    void theDatasPairWeightsGiveTheWeightedMean() {
        ExpLinearBeta beta = new ExpLinearBeta(0.4, -0.6);
        PreferenceObjective objective = new PreferenceObjective(beta, new SigmoidLoss());
        double[] w = {0, 1, 3};
        PreferenceObjective.Evaluation e = objective.train(batch(), f64(w));
        double[] b = e.beta().toDoubleArray();
        double expected = 0;
        for (int i = 0; i < 3; i++) {
            expected += w[i] * Math.log1p(Math.exp(-b[i] * H[i])) / 4;
        }
        assertThat(e.loss().item()).isCloseTo(expected, within(1e-12));
        assertThat(e.weights().toDoubleArray()).containsExactly(w);
        assertThat(objective.train(batch(), f64(0, 0, 0)).loss().item()).isZero();
    }

    @Test
    void namesTheSchemesParametersUnderBeta() {
        PreferenceObjective objective = new PreferenceObjective(new ExpLinearBeta(0.4, -0.6), new SigmoidLoss());
        assertThat(objective.namedParameters()).containsOnlyKeys("beta.w");
    }

    @Test
    void refusesANegativeBetaNamingThePair() {
        BetaEstimator negative = b -> f64(0.1, -0.2, 0.3);
        PreferenceObjective objective = new PreferenceObjective(negative, new SigmoidLoss());
        assertThatThrownBy(() -> objective.train(batch())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("pair 1");
        assertThatThrownBy(() -> objective.evaluate(batch())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("pair 1");
    }

    /** A scheme that keeps the first two pairs, as β-DPO's filter returns 0/1 weights. */
    private static final class FilteringBeta implements BetaEstimator {
        @Override
        public Tensor beta(PreferenceBatch batch) {
            return f64(0.5, 0.5, 0.5);
        }

        @Override
        public Estimate train(PreferenceBatch batch) {
            return new Estimate(beta(batch), f64(1, 1, 0), null);
        }
    }

    /** Pair weights on AOT's sorted quantiles mean nothing: refused in one line, as TRL refuses WPO with AOT. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"aot,", "aot_unpaired,", "weighted,'sigmoid,aot'"})
    void pairWeightsWithABatchCoupledLossAreRefused(String name, String terms) {
        java.util.Map<String, Object> knobs = terms == null ? java.util.Map.of() : java.util.Map.of("terms", terms);
        PreferenceObjective objective = new PreferenceObjective(new FilteringBeta(), Formulas.loss(name, knobs));
        assertThatThrownBy(() -> objective.train(batch())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("batch-coupled").hasMessageNotContaining("\n");
        // Evaluation weighs nothing, and a per-pair loss takes the weights.
        assertThat(objective.evaluate(batch()).loss().item()).isFinite();
        PreferenceObjective.Evaluation weighted = new PreferenceObjective(new FilteringBeta(),
                Formulas.loss("sigmoid", java.util.Map.of())).train(batch());
        double expected = (Math.log1p(Math.exp(-0.5 * H[0])) + Math.log1p(Math.exp(-0.5 * H[1]))) / 2;
        assertThat(weighted.loss().item()).isCloseTo(expected, within(1e-12));
    }
}
