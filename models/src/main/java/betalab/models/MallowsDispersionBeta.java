package betalab.models;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.Tensor;
import java.util.List;

/**
 * MallowsPO-θ's dispersion-scaled β (Chen et al. 2024, "MallowsPO: Fine-Tune Your LLM with Preference
 * Dispersions", arXiv 2405.14953), as the authors' code computes it (haoxian-chen/MallowsPO,
 * {@code mallowsPO_trainer.py}: {@code get_batch_logps} and the {@code mallows_dpo} loss):
 * β(x) = β₀·c·φ(x), φ(x) = −log ē(x), where ē(x) ∈ (0, 1] is the per-token entropy of the
 * next-token distributions divided by log V (V outcomes per token), averaged over the completion's
 * tokens and then over the chosen and the rejected completion, and c is the code's
 * {@code neg_log_dispersion_mean} (0.29 in its config, with β = 10). A concentrated policy (low
 * entropy, preferences not dispersed) gets a large β; a near-uniform one a small β.
 *
 * <p>What the batch carries, and the assumption: the authors read entropies of the reference model
 * at every completion position; a PreferenceBatch has none. {@code source: prompt} (the default)
 * reads ē = (−log πθ(x)/|x|)/log V from promptLogps and promptLength, which the bandit policies fill
 * with Σ_k π_k log π_k = −H(πθ(·|x)) over the K candidates of a one-token completion: there it is the
 * exact normalised entropy of the distribution both completions come from (of πθ, not π_ref, which
 * are equal at the start). For a sequence policy promptLogps is the prompt's log-likelihood, and ē is
 * its per-token surprisal, a one-sample proxy of the entropy. {@code source: completions} reads the
 * completions' per-token surprisal, ē = ½(−log πθ(y_w)/|y_w| − log πθ(y_l)/|y_l|)/log V, the code's
 * average over both completions with the realised token's surprisal in place of each position's
 * entropy. φ is held at ≥ 1e-3 (a surprisal proxy can exceed log V, where −log ē ≤ 0). β is detached:
 * nothing is learned and no gradient flows through the entropy (the code reads it under no_grad).
 */
public final class MallowsDispersionBeta implements BetaEstimator {
    static final String PROMPT = "prompt";
    static final String COMPLETIONS = "completions";
    /** The smallest φ, so that β stays &gt; 0 where a surprisal proxy exceeds log V. */
    static final double MIN_PHI = 1e-3;

    static final Knob<Double> BETA0 = Knob.real("beta0", 0.1, "β₀, multiplying c·φ(x)").positive();
    static final Knob<Double> SCALE = Knob.real("scale", 1.0, "c, the authors' neg_log_dispersion_mean (0.29 "
            + "in their config)").positive();
    static final Knob<Integer> VOCABULARY = Knob.integer("vocabulary", 0, "V, the outcomes of each next-token "
            + "distribution (the bandit's K candidates, an LM's vocabulary); ē is the entropy over log V; "
            + "required").atLeast(0);
    static final Knob<String> SOURCE = Knob.text("source", PROMPT, "where the per-token entropy comes from: "
            + "prompt (−promptLogps/promptLength, the bandit's exact −Σπ log π) or completions (their per-token "
            + "surprisal)", PROMPT, COMPLETIONS);
    static final List<Knob<?>> KNOBS = List.of(BETA0, SCALE, VOCABULARY, SOURCE);

    private final double beta0;
    private final double scale;
    private final double logVocabulary;
    private final boolean fromPrompt;
    private final String owner;

    MallowsDispersionBeta(double beta0, double scale, int vocabulary, String source, String owner) {
        if (vocabulary < 2) {
            throw new IllegalArgumentException(owner + ": knob 'vocabulary' must be set to the number of outcomes "
                    + "of each next-token distribution (≥ 2; the bandit's candidates per prompt), got " + vocabulary);
        }
        this.beta0 = beta0;
        this.scale = scale;
        this.logVocabulary = Math.log(vocabulary);
        this.fromPrompt = source.equals(PROMPT);
        this.owner = owner;
    }

    static MallowsDispersionBeta fromSettings(Settings settings, Context context) {
        return new MallowsDispersionBeta(settings.get(BETA0), settings.get(SCALE), settings.get(VOCABULARY),
                settings.get(SOURCE), settings.owner());
    }

    @Override
    public Tensor beta(PreferenceBatch batch) {
        Tensor perToken;
        if (fromPrompt) {
            if (batch.promptLogps() == null) {
                throw new IllegalArgumentException(owner + " with source: prompt needs log πθ(x) of each prompt "
                        + "(PreferenceBatch.promptLogps), the batch has none; try source: completions");
            }
            perToken = batch.promptLogps().detach().div(batch.promptLength()).neg();
        } else {
            Tensor chosen = batch.policyChosen().detach().div(batch.chosenLength());
            Tensor rejected = batch.policyRejected().detach().div(batch.rejectedLength());
            perToken = chosen.add(rejected).mul(-0.5);
        }
        double[] entropy = perToken.toDoubleArray();
        double[] beta = new double[entropy.length];
        for (int i = 0; i < beta.length; i++) {
            double phi = -Math.log(Math.max(entropy[i] / logVocabulary, Double.MIN_NORMAL));
            beta[i] = beta0 * scale * Math.max(phi, MIN_PHI);
        }
        Tensor like = batch.policyChosen();
        return Tensor.wrap(like.backend().of(beta, like.dtype()), beta.length);
    }

    @Override
    public double baseBeta() {
        return beta0;
    }
}
