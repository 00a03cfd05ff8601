package betalab.loss;

import static betalab.loss.Links.logistic;

import betalab.api.Stateful;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.tensor.Tensor;
import java.util.Map;

/**
 * BCO on pairs (Jung et al. 2024, "Binary Classifier Optimization for Large Language Model
 * Alignment"): −log σ(βc − δ) − log σ(−(βr − δ)). With the running shift, δ is the running mean over
 * training steps of each batch's mean reward, mean(βc ∪ βr), updated before the step's loss as TRL's
 * BCOTrainer and its DPO loss up to v0.11 did ({@code RunningMoments} fed one batch mean per step, so
 * its mean is the plain average of those); without it δ = 0, as current TRL's DPO loss. Unlike TRL,
 * evaluation reads δ and does not move it. δ is the checkpointed state.
 */
final class BcoPairLoss implements PreferenceLoss {
    private final boolean runningShift;
    private double delta;
    private long updates;

    BcoPairLoss(boolean runningShift) {
        this.runningShift = runningShift;
    }

    @Override
    public Tensor perPair(PreferenceBatch batch, Tensor beta) {
        Tensor chosen = beta.mul(batch.chosenLogRatio()).sub(delta);
        Tensor rejected = beta.mul(batch.rejectedLogRatio()).sub(delta);
        return logistic(chosen).add(logistic(rejected.neg()));
    }

    @Override
    public Tensor train(PreferenceBatch batch, Tensor beta) {
        if (runningShift) {
            double mean;
            try (var noGrad = Tensor.noGrad()) {
                mean = beta.mul(batch.chosenLogRatio()).add(beta.mul(batch.rejectedLogRatio())).mean().item() / 2;
            }
            updates++;
            delta += (mean - delta) / updates;
        }
        return perPair(batch, beta);
    }

    /** The current shift δ. */
    double delta() {
        return delta;
    }

    /** "delta" and the number of "updates" averaged into it; nothing without the running shift. */
    @Override
    public Map<String, double[]> state() {
        return runningShift ? Map.of("delta", new double[] {delta}, "updates", new double[] {updates}) : Map.of();
    }

    @Override
    public void loadState(Map<String, double[]> state) {
        if (runningShift) {
            delta = Stateful.entry(state, "delta", 1)[0];
            updates = (long) Stateful.entry(state, "updates", 1)[0];
        }
    }
}
