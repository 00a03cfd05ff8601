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

    // WPO: two pairs, two-token completions (the rejected of pair 1 has one), a vocabulary of 3.
    private static final double[][] LOGITS = {
        {0.2, -1.0, 0.5}, {1.5, 0.0, -0.3},    // chosen of pair 0, positions 0 and 1
        {-0.4, 0.9, 0.1}, {0.0, 0.0, 2.0},     // chosen of pair 1
        {1.0, 1.0, -2.0}, {0.3, -0.7, 0.6},    // rejected of pair 0
        {2.5, -0.5, 0.0}, {9.0, 9.0, 9.0}};    // rejected of pair 1: one token, position 1 unused
    private static final int[][] LABELS = {{1, 2}, {1, 2}, {2, 1}, {0, 0}};
    private static final double[] LENGTHS = {2, 2, 2, 1};

    private static double probability(double[] logits, int v) {
        double z = 0;
        for (double l : logits) {
            z += Math.exp(l);
        }
        return Math.exp(logits[v]) / z;
    }

    /** The policy's log-probabilities and distributions for these completions; the reference given. */
    private static PreferenceBatch wpoBatch(Tensor refChosen, Tensor refRejected) {
        double[] flat = new double[4 * 2 * 3];
        double[] sums = new double[4];
        for (int j = 0; j < 4; j++) {
            for (int t = 0; t < 2; t++) {
                System.arraycopy(LOGITS[2 * j + t], 0, flat, (2 * j + t) * 3, 3);
                if (t < LENGTHS[j]) {
                    sums[j] += Math.log(probability(LOGITS[2 * j + t], LABELS[j][t]));
                }
            }
        }
        Tensor policy = Tensor.of(DType.FLOAT64, flat, 4, 2, 3).logSoftmax(2);
        return PreferenceBatch.of(f64(sums[0], sums[1]), f64(sums[2], sums[3]), refChosen, refRejected)
                .lengths(f64(LENGTHS[0], LENGTHS[1]), f64(LENGTHS[2], LENGTHS[3]))
                .distributions(new PreferenceBatch.Distributions(policy, policy.detach()))
                .build();
    }

    /** By hand, in probabilities: a(y) = mean over tokens of log(π(y_t) / Σ_v π(v)²), w = min(1, e^(a_w + a_l)). */
    private static double wpoWeight(int pair) {
        double a = 0;
        for (int j : new int[] {pair, 2 + pair}) {
            double mean = 0;
            for (int t = 0; t < LENGTHS[j]; t++) {
                double[] l = LOGITS[2 * j + t];
                double squares = 0;
                for (int v = 0; v < 3; v++) {
                    squares += probability(l, v) * probability(l, v);
                }
                mean += Math.log(probability(l, LABELS[j][t]) / squares) / LENGTHS[j];
            }
            a += mean;
        }
        return Math.min(1, Math.exp(a));
    }

    @Test
    void wpoWeighsEachPairsLossAsTrlDoes() {
        PreferenceBatch batch = wpoBatch(f64(-1.0, -2.0), f64(-1.5, -0.5));
        double[] w = PreferenceObjective.wpoWeights(batch).toDoubleArray();
        assertThat(w).containsExactly(new double[] {wpoWeight(0), wpoWeight(1)}, within(1e-12));
        assertThat(w[0]).as("one pair below the cap, so the test sees the weight").isLessThan(1);

        BetaEstimator fixed = b -> f64(0.5, 0.5);
        PreferenceObjective plain = new PreferenceObjective(fixed, new SigmoidLoss());
        PreferenceObjective wpo = new PreferenceObjective(fixed, new SigmoidLoss(), true);
        double[] unweighted = plain.train(batch).perPair().toDoubleArray();
        PreferenceObjective.Evaluation e = wpo.train(batch);
        assertThat(e.perPair().toDoubleArray()).containsExactly(
                new double[] {unweighted[0] * w[0], unweighted[1] * w[1]}, within(1e-12));
        // TRL's mean of the weighted losses, not Σwℓ/Σw.
        assertThat(e.loss().item()).isCloseTo((unweighted[0] * w[0] + unweighted[1] * w[1]) / 2, within(1e-12));
        assertThat(wpo.evaluate(batch).loss().item()).isCloseTo(e.loss().item(), within(1e-12));
    }

    @Test
    void wpoWeightsAreConstantsToTheGradient() {
        Tensor refChosen = f64(-1.0, -2.0);
        Tensor refRejected = f64(-1.5, -0.5);
        PreferenceObjective wpo = new PreferenceObjective(b -> f64(0.5, 0.5), new SigmoidLoss(), true);
        // The reference's log-probabilities reach the loss but not the weights, so finite differences
        // in them see exactly the weighted loss's gradient.
        GradientCheck.check(in -> wpo.train(wpoBatch(in[0], in[1])).loss(), refChosen, refRejected);
    }

    @Test
    void wpoIsRefusedWithABatchCoupledLossAndWithoutDistributions() {
        BetaEstimator fixed = b -> f64(0.5, 0.5, 0.5);
        assertThatThrownBy(() -> new PreferenceObjective(fixed, Losses.aot(0.0), true))
                .hasMessageContaining("batch-coupled loss");
        assertThatThrownBy(() -> new PreferenceObjective(fixed, new SigmoidLoss(), true).train(batch()))
                .hasMessageContaining("needs the policy's whole next-token distributions");
    }
}
