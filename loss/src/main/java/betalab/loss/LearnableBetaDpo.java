package betalab.loss;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.preference.PreferenceObjective;
import betalab.api.tensor.Tensor;
import java.util.List;

/**
 * LearnableBetaDPO: the mean of a preference loss whose β comes from an estimator, so the loss's
 * gradient reaches the estimator's parameters. With a fixed β it is plain DPO; with any loss of
 * the catalogue it is that loss under the estimator's β.
 */
public final class LearnableBetaDpo implements PreferenceObjective {
    private final BetaEstimator betaEstimator;
    private final PreferenceLoss loss;

    public LearnableBetaDpo(BetaEstimator betaEstimator, PreferenceLoss loss) {
        this.betaEstimator = betaEstimator;
        this.loss = loss;
    }

    @Override
    public Evaluation train(PreferenceBatch batch) {
        BetaEstimator.Estimate estimate = betaEstimator.train(batch);
        Tensor perPair = loss.perPair(batch, estimate.beta());
        Tensor mean = estimate.weights() == null ? perPair.mean()
                : perPair.mul(estimate.weights()).sum().div(estimate.weights().sum());
        Tensor total = estimate.penalty() == null ? mean : mean.add(estimate.penalty());
        return new Evaluation(total, perPair, estimate.beta(), estimate.weights());
    }

    @Override
    public Evaluation evaluate(PreferenceBatch batch) {
        Tensor beta = betaEstimator.beta(batch);
        Tensor perPair = loss.perPair(batch, beta);
        return new Evaluation(perPair.mean(), perPair, beta, null);
    }

    @Override
    public List<Tensor> parameters() {
        return betaEstimator.parameters();
    }
}
