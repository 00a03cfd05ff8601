package betalab.api.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.random.JavaRng;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * What every preference loss must do, for a loss's own test to extend (it ships in betalab-api's
 * test-jar): one finite loss per pair, gradients in the four log-probabilities and in β that match
 * finite differences, and — unless it declares itself batch-coupled — a pair's loss that does not
 * depend on the other pairs. Name the loss in {@link #create}.
 */
public abstract class PreferenceLossConformance {

    protected abstract PreferenceLoss create();

    /** Relative tolerance of the finite-difference check. */
    protected double gradientTolerance() {
        return 1e-6;
    }

    private static PreferenceBatch batch() {
        return TestBatches.random(6, 0, 0, 11);
    }

    private static Tensor beta() {
        return Tensor.of(DType.FLOAT64, new JavaRng(5).uniform(6, 0.05, 2), 6);
    }

    @Test
    void givesOneFiniteLossPerPair() {
        Tensor loss = create().perPair(batch(), beta());
        assertThat(loss.shape()).as("shape of the per-pair loss").containsExactly(6);
        assertThat(loss.allFinite()).as("every loss is finite: %s", loss).isTrue();
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        PreferenceBatch b = batch();
        PreferenceLoss loss = create();
        Tensor w = Tensor.of(DType.FLOAT64, new JavaRng(7).uniform(6, 0.5, 1.5), 6);
        GradientCheck.check(gradientTolerance(), in -> loss.perPair(PreferenceBatch.of(in[0], in[1], in[2], in[3])
                        .lengths(b.chosenLength(), b.rejectedLength()).build(), in[4]).mul(w).sum(),
                b.policyChosen(), b.policyRejected(), b.refChosen(), b.refRejected(), beta());
    }

    @Test
    void aPairsLossDependsOnItsPairAloneUnlessBatchCoupled() {
        PreferenceLoss loss = create();
        if (loss.batchCoupled()) {
            return;
        }
        PreferenceBatch b = batch();
        double[] whole = loss.perPair(b, beta()).toDoubleArray();
        int[] firstThree = {0, 1, 2};
        PreferenceBatch part = PreferenceBatch.of(b.policyChosen().gather(firstThree),
                b.policyRejected().gather(firstThree), b.refChosen().gather(firstThree),
                b.refRejected().gather(firstThree))
                .lengths(b.chosenLength().gather(firstThree), b.rejectedLength().gather(firstThree)).build();
        double[] alone = loss.perPair(part, beta().gather(firstThree)).toDoubleArray();
        for (int i = 0; i < 3; i++) {
            assertThat(alone[i]).as("pair %d's loss in a batch of 3 and of 6", i).isEqualTo(whole[i]);
        }
    }
}
