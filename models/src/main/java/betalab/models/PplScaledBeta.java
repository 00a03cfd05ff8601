package betalab.models;

import betalab.api.nn.Module;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PromptHead;
import betalab.api.preference.PromptInput;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Bounded PPL-scaled β after the design documents of 1587causalai/learnable-beta-dpo
 * (docs/core_theory_on_learnable_beta_dpo.md, §3.1): β(x; πθ) = |w| · PPL_πθ(x) · (1 + ε·tanh(NN(h))),
 * with PPL_πθ(x) = exp(−log πθ(x) / |x|), w a learnable scale and NN a small head on the prompt's
 * hidden state h. The head can move β by at most a factor 1 ± ε; the scale comes from |w| and the
 * policy's perplexity of the prompt. The catalogue writes |w| where the design writes w, so β stays
 * positive whatever sign w takes.
 *
 * <p>h is the policy's representation of the prompt by default (the design's last hidden state);
 * knob "input" = features puts the head on the raw prompt features instead, for data without a
 * policy representation. {@code init_beta} > 0 starts w at init_beta (in place of beta0) and the
 * head's last layer at weights 0 and bias 0, so that tanh(NN(h)) = 0 and β = init_beta·PPL_πθ(x) for
 * every input at the start: the perplexity factor is the policy's, not a parameter, so this is as
 * near a constant initial β as the design allows (exactly init_beta where PPL = 1). Nothing is detached: the loss's gradient through β reaches w, the head, the
 * representation and log πθ(x), as in the design's joint training.
 */
public final class PplScaledBeta extends Module implements BetaEstimator {
    static final Knob<Double> BETA0 = Knob.real("beta0", 0.1,
            "initial w, the scale of β before the perplexity and the head").positive();
    static final Knob<Double> EPSILON = Knob.real("epsilon", 0.1,
            "ε: the head moves β by a factor within [1 − ε, 1 + ε]").between(0, 1, false);
    static final Knob<String> INPUT = Knob.text("input", PromptInput.REPRESENTATION.label(), "what the head reads: "
            + "the policy's representation of the prompt, or the raw prompt features",
            PromptInput.REPRESENTATION.label(), PromptInput.FEATURES.label());
    static final Knob<Double> INIT_BETA = Knob.real("init_beta", 0.0, "starts w at init_beta and the head at "
            + "tanh(NN) = 0 (zero last layer), so β = init_beta·PPL_πθ(x) at first; 0 keeps beta0 and a random head")
            .atLeast(0);
    static final List<Knob<?>> KNOBS = knobs();

    private final Tensor w;
    private final PromptHead head;
    private final double epsilon;
    private final double beta0;
    private final String owner;

    PplScaledBeta(double w0, double epsilon, PromptHead head, String owner, DType dtype) {
        if (!(epsilon >= 0 && epsilon < 1)) {
            throw new IllegalArgumentException("epsilon must be in [0, 1), got " + epsilon);
        }
        this.w = parameter("w", Tensor.of(dtype, new double[] {w0}, 1));
        this.head = child("head", head);
        this.epsilon = epsilon;
        this.beta0 = w0;
        this.owner = owner;
    }

    static PplScaledBeta fromSettings(Settings settings, Context context) {
        PromptHead head = new PromptHead(PromptInput.named(settings.get(INPUT)), 1, settings, context);
        double initBeta = settings.get(INIT_BETA);
        if (initBeta > 0) {
            SoftplusMlpBeta.zeroLastLayer(head, 0);
        }
        return new PplScaledBeta(initBeta > 0 ? initBeta : settings.get(BETA0), settings.get(EPSILON), head,
                settings.owner(), context.dtype());
    }

    @Override
    public Tensor beta(PreferenceBatch batch) {
        if (batch.promptLogps() == null) {
            throw new IllegalArgumentException(owner + " needs log πθ(x) of each prompt (PreferenceBatch.promptLogps)"
                    + " for PPL_πθ(x), the batch has none");
        }
        Tensor perplexity = batch.promptLogps().div(batch.promptLength()).neg().exp();
        Tensor modulation = head.forward(batch).flatten().tanh().mul(epsilon).add(1.0);
        return perplexity.mul(modulation).mul(w.abs());
    }

    @Override
    public double baseBeta() {
        return beta0;
    }

    /** The learnable scale w (β is proportional to |w|). */
    public Tensor w() {
        return w;
    }

    private static List<Knob<?>> knobs() {
        List<Knob<?>> knobs = new ArrayList<>(List.of(BETA0, EPSILON, INPUT, INIT_BETA));
        knobs.addAll(PromptHead.knobs(16));
        return List.copyOf(knobs);
    }
}
