package betalab.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.tensor.Tensor;
import betalab.api.testkit.GradientCheck;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * bco_pair's running reward shift against TRL's rule worked by hand: before each training step's
 * loss, δ moves to the running mean of the steps' mean rewards mean(βc ∪ βr) (TRL's RunningMoments
 * fed one number a step); the loss is −log σ(βc − δ) − log σ(−(βr − δ)).
 * <pre>
 * step  c            r             β    mean reward                      δ after
 * 1     1.0, −0.5    −1.0, 0.5     0.5  (0.5 − 0.25 − 0.5 + 0.25)/4 = 0   0
 * 2     2.0, 1.0     1.0, 0.0      0.5  (1 + 0.5 + 0.5 + 0)/4 = 0.5       0.25
 * 3     3.0, 3.0     2.0, 2.0      0.5  (1.5 + 1.5 + 1 + 1)/4 = 1.25      (0 + 0.5 + 1.25)/3 = 0.58333…
 * </pre>
 */
class BcoRunningShiftTest {
    private static final double[][][] STEPS = {
        {{1.0, -0.5}, {-1.0, 0.5}}, {{2.0, 1.0}, {1.0, 0.0}}, {{3.0, 3.0}, {2.0, 2.0}}};
    private static final double[] DELTA = {0, 0.25, 1.75 / 3};

    /** Log-ratios c and r on references −1 and −2. */
    private static PreferenceBatch batch(double[] c, double[] r) {
        Tensor rc = Pairs.f64(-1, -1);
        Tensor rr = Pairs.f64(-2, -2);
        return PreferenceBatch.of(Pairs.f64(c[0] - 1, c[1] - 1), Pairs.f64(r[0] - 2, r[1] - 2), rc, rr).build();
    }

    private static double logistic(double z) {
        return Math.log1p(Math.exp(-z));
    }

    @Test
    void theShiftIsTheRunningMeanRewardAndEvaluationLeavesIt() {
        BcoPairLoss loss = (BcoPairLoss) Formulas.loss("bco_pair", Map.of("running_shift", true));
        Tensor beta = Pairs.f64(0.5, 0.5);
        for (int s = 0; s < 3; s++) {
            PreferenceBatch batch = batch(STEPS[s][0], STEPS[s][1]);
            double[] losses = loss.train(batch, beta).toDoubleArray();
            assertThat(loss.delta()).as("δ after step %d", s + 1).isCloseTo(DELTA[s], within(1e-15));
            for (int i = 0; i < 2; i++) {
                double expected = logistic(0.5 * STEPS[s][0][i] - DELTA[s]) + logistic(-(0.5 * STEPS[s][1][i] - DELTA[s]));
                assertThat(losses[i]).isCloseTo(expected, within(1e-15));
            }
            loss.perPair(batch, beta);
            assertThat(loss.delta()).as("evaluation moves nothing").isCloseTo(DELTA[s], within(1e-15));
        }
        // The shift is the state a checkpoint keeps.
        BcoPairLoss resumed = (BcoPairLoss) Formulas.loss("bco_pair", Map.of("running_shift", true));
        resumed.loadState(loss.state());
        PreferenceBatch next = batch(new double[] {0.0, 1.0}, new double[] {0.5, -0.5});
        assertThat(resumed.train(next, beta).toDoubleArray()).containsExactly(loss.train(next, beta).toDoubleArray());
    }

    @Test
    void offByDefaultAsCurrentTrl() {
        PreferenceLoss loss = Formulas.loss("bco_pair", Map.of());
        PreferenceBatch batch = batch(STEPS[1][0], STEPS[1][1]);
        loss.train(batch, Pairs.f64(0.5, 0.5));
        double[] losses = loss.train(batch, Pairs.f64(0.5, 0.5)).toDoubleArray();
        assertThat(losses[0]).isCloseTo(logistic(1.0) + logistic(-0.5), within(1e-15));
        assertThat(loss.state()).isEmpty();
    }

    @Test
    void gradientsAtAShiftedPointMatchFiniteDifferences() {
        BcoPairLoss loss = (BcoPairLoss) Formulas.loss("bco_pair", Map.of("running_shift", true));
        loss.train(batch(STEPS[2][0], STEPS[2][1]), Pairs.f64(0.5, 0.5));
        GradientCheck.check(in -> loss.perPair(PreferenceBatch.of(in[0], in[1], in[2], in[3]).build(), in[4]).sum(),
                Pairs.f64(-0.3, -2.0), Pairs.f64(-1.2, -0.4), Pairs.f64(-1.0, -1.5), Pairs.f64(-0.8, -1.1),
                Pairs.f64(0.7, 1.3));
    }

    @Test
    void aWeightedCombinationKeepsItsTermsState() {
        PreferenceLoss weighted = Formulas.loss("weighted", Map.of("terms", "sigmoid,bco_pair", "weights", "1,2"));
        assertThat(weighted.state()).isEmpty();
        PreferenceLoss shifted = Formulas.loss("weighted", Map.of("terms", "bco_pair", "running_shift", "true"));
        shifted.train(batch(STEPS[1][0], STEPS[1][1]), Pairs.f64(0.5, 0.5));
        assertThat(shifted.state()).containsOnlyKeys("0.delta", "0.updates");
        assertThat(shifted.state().get("0.delta")).containsExactly(0.5);
    }
}
