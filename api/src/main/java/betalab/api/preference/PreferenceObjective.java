package betalab.api.preference;

import betalab.api.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a preference training step minimises — LearnableBetaDPO in general: a β scheme feeding a
 * preference loss, the per-pair losses averaged with the scheme's pair weights, plus its penalty.
 * With a fixed β and the sigmoid loss it is DPO; the loss's gradient reaches the β scheme's
 * parameters through the β it returned.
 */
public final class PreferenceObjective {
    private final BetaEstimator betaEstimator;
    private final PreferenceLoss loss;
    private final boolean policyWeighting;

    public PreferenceObjective(BetaEstimator betaEstimator, PreferenceLoss loss) {
        this(betaEstimator, loss, false);
    }

    /**
     * @param policyWeighting WPO (Zhou et al. 2024, "WPO: Enhancing RLHF with Weighted Preference
     *                        Optimization"; TRL's {@code use_weighting}): each pair's loss times
     *                        {@link #wpoWeights}, before the mean, in training and evaluation
     */
    public PreferenceObjective(BetaEstimator betaEstimator, PreferenceLoss loss, boolean policyWeighting) {
        if (policyWeighting && loss.batchCoupled()) {
            throw new IllegalArgumentException("WPO's weighting (use_weighting) multiplies each pair's loss, which a "
                    + "batch-coupled loss (aot, aot_unpaired) does not have: its terms are quantiles of the batch");
        }
        this.betaEstimator = betaEstimator;
        this.loss = loss;
        this.policyWeighting = policyWeighting;
    }

    /**
     * WPO's weight of each pair as TRL computes it: w = min(1, exp(a(y_w) + a(y_l))), a(y) the mean
     * over y's tokens of log πθ(y_t) − log Σ_v πθ(v)², from the policy's next-token distributions,
     * without gradient. Eq. (2) of the WPO paper, the sampling probability of y under πθ made
     * comparable across prompts.
     */
    public static Tensor wpoWeights(PreferenceBatch batch) {
        PreferenceBatch.Distributions d = batch.distributions();
        if (d == null) {
            throw new IllegalStateException("WPO's weighting (use_weighting) needs the policy's whole next-token "
                    + "distributions, and this policy gives none (Policy.Scores.vocabularyLogps)");
        }
        try (var noGrad = Tensor.noGrad()) {
            Tensor normalisers = d.policy().mul(2.0).logSumExp(2).mul(d.mask(batch)).sum(1);
            Tensor chosen = batch.policyChosen().sub(PreferenceBatch.Distributions.chosen(normalisers))
                    .div(batch.chosenLength());
            Tensor rejected = batch.policyRejected().sub(PreferenceBatch.Distributions.rejected(normalisers))
                    .div(batch.rejectedLength());
            double[] w = chosen.add(rejected).exp().toDoubleArray();
            for (int i = 0; i < w.length; i++) {
                w[i] = Math.min(1, w[i]);
            }
            return Tensor.of(batch.policyChosen().dtype(), w, w.length);
        }
    }

    /** The loss of each pair, for a training step or not, times WPO's weight where it applies. */
    private Tensor perPair(PreferenceBatch batch, Tensor beta, boolean training) {
        Tensor perPair = training ? loss.train(batch, beta) : loss.perPair(batch, beta);
        return policyWeighting ? perPair.mul(wpoWeights(batch)) : perPair;
    }

    /**
     * One evaluation.
     *
     * @param loss    the weighted mean loss plus any penalty, a scalar to call {@code backward()} on
     * @param perPair the loss of each pair
     * @param beta    the β used for each pair
     * @param weights the weight of each pair, or null where all counted equally
     */
    public record Evaluation(Tensor loss, Tensor perPair, Tensor beta, Tensor weights) {
    }

    /** The objective for one training step: running statistics move, pair weights and penalties apply. */
    public Evaluation train(PreferenceBatch batch) {
        return train(batch, null);
    }

    /**
     * As {@link #train(PreferenceBatch)}, with the data's own weight of each pair ({@code pairWeights},
     * shape [n], ≥ 0; null for none), multiplied with the scheme's: the mean is Σwᵢℓᵢ/Σwᵢ, and a batch
     * whose weights are all 0 contributes only the penalty.
     */
    public Evaluation train(PreferenceBatch batch, Tensor pairWeights) {
        BetaEstimator.Estimate estimate = betaEstimator.train(batch);
        requirePositive(estimate.beta());
        Tensor weights = estimate.weights();
        if (pairWeights != null) {
            weights = weights == null ? pairWeights : weights.mul(pairWeights);
        }
        if (weights != null && loss.batchCoupled()) {
            // As TRL refuses WPO's weights with AOT: AOT's terms are sorted quantiles, not pairs.
            throw new IllegalStateException("pairs are weighed (by the data's weights, or the β scheme's: β-DPO's "
                    + "filter or micro-batches of unequal size), which a batch-coupled loss (aot, aot_unpaired, or "
                    + "weighted with one of them) cannot use: its terms are quantiles of the batch, not pairs; drop "
                    + "the weights (filter: false) or use a per-pair loss");
        }
        Tensor perPair = perPair(batch, estimate.beta(), true);
        Tensor mean;
        if (weights == null) {
            mean = perPair.mean();
        } else {
            Tensor terms = perPair.mul(weights).sum();
            Tensor total = weights.sum();
            mean = total.item() > 0 ? terms.div(total) : terms;
        }
        Tensor total = estimate.penalty() == null ? mean : mean.add(estimate.penalty());
        return new Evaluation(total, perPair, estimate.beta(), weights);
    }

    /** The objective without side effects, every pair weighted equally, no penalty: for evaluation. */
    public Evaluation evaluate(PreferenceBatch batch) {
        Tensor beta = betaEstimator.beta(batch);
        requirePositive(beta);
        Tensor perPair = perPair(batch, beta, false);
        return new Evaluation(perPair.mean(), perPair, beta, null);
    }

    public BetaEstimator betaEstimator() {
        return betaEstimator;
    }

    public PreferenceLoss loss() {
        return loss;
    }

    /** The β scheme's trainable parameters, named "beta.&lt;path&gt;". */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> named = new LinkedHashMap<>();
        betaEstimator.namedParameters().forEach((name, p) -> named.put("beta." + name, p));
        return named;
    }

    /**
     * A β scheme must give every pair β &gt; 0. A negative β reverses the preference, so it stops the
     * run here, naming the pair. An exact 0 passes: it is how a positive β such as softplus(z)
     * underflows in float32 for very negative z, and losses that divide by β then fail the
     * non-finite check. NaN is left to that check too, which names the step.
     */
    private static void requirePositive(Tensor beta) {
        double[] values = beta.toDoubleArray();
        for (int i = 0; i < values.length; i++) {
            if (values[i] < 0) {
                throw new IllegalStateException("the β scheme gave β = " + values[i] + " for pair " + i
                        + " of the batch; a β scheme must give every pair β > 0");
            }
        }
    }
}
