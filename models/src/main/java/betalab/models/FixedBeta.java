package betalab.models;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.tensor.Tensor;

/** DPO's β: the same constant for every pair, nothing to train. */
public final class FixedBeta implements BetaEstimator {
    private final double beta;

    public FixedBeta(double beta) {
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("beta must be a positive finite number, got " + beta);
        }
        this.beta = beta;
    }

    @Override
    public double baseBeta() {
        return beta;
    }

    @Override
    public Tensor beta(PreferenceBatch batch) {
        return batch.policyChosen().detach().zerosLike().add(beta);
    }
}
