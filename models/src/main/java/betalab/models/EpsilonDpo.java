package betalab.models;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * ε-DPO's instance-level KL penalty (Lee et al., "KL Penalty Control via Perturbation for Direct
 * Preference Optimization", NeurIPS 2025; oddqueue/e-dpo). The policy of β perturbed to β/(1 ± ε)
 * is estimated without training it, from the logits mixed as (1 + ε)·z_θ − ε·z_ref and
 * (1 − ε)·z_θ + ε·z_ref at every completion position. Pair i's policy log-ratio
 * log πθ(y_w) − log πθ(y_l) is compared under the three: if it grows monotonically towards the
 * (1 + ε) mixture, s_i = +1; towards the (1 − ε) one, s_i = −1; otherwise 0. The pair trains with
 * β_i = β/(1 + ε·s_i), and after the step the global β ← β/(1 + ε·mean(s)).
 *
 * <p>Mixing log-probabilities instead of logits changes each position by a constant, which the
 * log-softmax removes, so the policy's and reference's next-token distributions suffice
 * ({@link PreferenceBatch#distributions()}). β_i is a constant to the loss (the source computes s
 * without gradient). The source's label smoothing adds −log σ(βh) twice instead of −log σ(−βh), so it
 * does nothing; pair ε-DPO with the {@code cdpo} loss for label smoothing done right. {@link #beta}
 * (evaluation) uses the current β and changes nothing.
 */
public final class EpsilonDpo implements BetaEstimator {
    static final Knob<Double> INIT = Knob.real("init", 0.1, "β before the first update").positive();
    // 0.01: the authors' EpsilonDPOConfig default.
    static final Knob<Double> EPSILON = Knob.real("epsilon", 0.01, "ε, the relative step of the perturbed β "
            + "and of its update").between(0, 1, false).positive();
    static final List<Knob<?>> KNOBS = List.of(INIT, EPSILON);

    private final double init;
    private final double epsilon;
    private double beta;

    EpsilonDpo(double init, double epsilon) {
        if (!(init > 0) || !(epsilon > 0 && epsilon < 1)) {
            throw new IllegalArgumentException("epsilon_dpo needs init > 0 and 0 < epsilon < 1, got "
                    + init + ", " + epsilon);
        }
        this.init = init;
        this.epsilon = epsilon;
        this.beta = init;
    }

    static EpsilonDpo fromSettings(Settings settings, Context context) {
        return new EpsilonDpo(settings.get(INIT), settings.get(EPSILON));
    }

    /** The current global β. */
    public double value() {
        return beta;
    }

    /**
     * s_i of each pair: +1, −1 or 0 as its policy log-ratio is monotone towards the (1 + ε) mixture,
     * the (1 − ε) one, or neither.
     */
    int[] steps(PreferenceBatch batch) {
        PreferenceBatch.Distributions d = batch.distributions();
        if (d == null) {
            throw new IllegalStateException("epsilon_dpo needs the policy's whole next-token distributions, and "
                    + "this policy gives none (Policy.Scores.vocabularyLogps)");
        }
        double[] lr;
        double[] up;
        double[] down;
        try (var noGrad = Tensor.noGrad()) {
            Tensor mask = d.mask(batch);
            Tensor policyMargin = batch.policyChosen().sub(batch.policyRejected());
            Tensor referenceMargin = batch.refChosen().sub(batch.refRejected());
            lr = policyMargin.toDoubleArray();
            up = mixedMargin(d, mask, policyMargin, referenceMargin, 1 + epsilon, -epsilon);
            down = mixedMargin(d, mask, policyMargin, referenceMargin, 1 - epsilon, epsilon);
        }
        int[] s = new int[lr.length];
        for (int i = 0; i < s.length; i++) {
            if (up[i] > lr[i] && lr[i] > down[i]) {
                s[i] = 1;
            } else if (down[i] > lr[i] && lr[i] > up[i]) {
                s[i] = -1;
            }
        }
        return s;
    }

    /**
     * Each pair's log-ratio log π(y_w) − log π(y_l) under π = softmax(a·log πθ + b·log π_ref) at every
     * position: the mixed margins a·(log πθ(y_w) − log πθ(y_l)) + b·(the reference's), less the
     * difference of the two completions' summed log-normalisers.
     */
    private static double[] mixedMargin(PreferenceBatch.Distributions d, Tensor mask, Tensor policyMargin,
                                        Tensor referenceMargin, double a, double b) {
        Tensor normalisers = d.policy().mul(a).add(d.reference().mul(b)).logSumExp(2).mul(mask).sum(1);
        Tensor normaliserMargin = PreferenceBatch.Distributions.chosen(normalisers)
                .sub(PreferenceBatch.Distributions.rejected(normalisers));
        return policyMargin.mul(a).add(referenceMargin.mul(b)).sub(normaliserMargin).toDoubleArray();
    }

    private Tensor betas(PreferenceBatch batch, int[] s) {
        double[] b = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            b[i] = beta / (1 + epsilon * s[i]);
        }
        return Tensor.of(batch.policyChosen().dtype(), b, b.length);
    }

    @Override
    public Tensor beta(PreferenceBatch batch) {
        return betas(batch, steps(batch));
    }

    @Override
    public Estimate train(PreferenceBatch batch) {
        int[] s = steps(batch);
        Tensor used = betas(batch, s);
        double mean = 0;
        for (int v : s) {
            mean += v;
        }
        mean /= s.length;
        beta = beta / (1 + mean * epsilon);
        return new Estimate(used, null, null);
    }

    @Override
    public double baseBeta() {
        return init;
    }

    /** "beta": the current global β. */
    @Override
    public Map<String, double[]> state() {
        return SavedCoefficient.save(beta);
    }

    @Override
    public void loadState(Map<String, double[]> state) {
        beta = SavedCoefficient.load(state);
    }
}
