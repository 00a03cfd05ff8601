package betalab.loss;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.preference.PreferenceObjective;
import betalab.api.tensor.Tensor;
import java.util.List;

/**
 * LearnableBetaDPO: the mean of a preference loss whose β comes from an estimator, so the loss's
 * gradient reaches the estimator's parameters. With a fixed β it is plain DPO.
 */
public final class LearnableBetaDpo implements PreferenceObjective {
    private final BetaEstimator betaEstimator;
    private final PreferenceLoss loss;

    public LearnableBetaDpo(BetaEstimator betaEstimator, PreferenceLoss loss) {
        this.betaEstimator = betaEstimator;
        this.loss = loss;
    }

    @Override
    public Evaluation evaluate(PreferenceBatch batch) {
        Tensor beta = betaEstimator.beta(batch);
        Tensor perPair = loss.perPair(batch, beta);
        return new Evaluation(perPair.mean(), perPair, beta);
    }

    @Override
    public List<Tensor> parameters() {
        return betaEstimator.parameters();
    }
}
