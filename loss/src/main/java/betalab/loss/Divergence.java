package betalab.loss;

import betalab.api.preference.PreferenceBatch;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * TRL's f-divergence option (Wang et al. 2023, "Beyond reverse KL"): the log-ratios c, r are
 * replaced by s(c), s(r) before the margin is formed, h = s(c) − s(r), where s is the
 * divergence's f′ written in the log-ratio u:
 * <ul>
 *   <li>reverse_kl {@code s(u) = u} (plain DPO, the default);</li>
 *   <li>forward_kl {@code s(u) = −e^(−u)};</li>
 *   <li>js {@code s(u) = log σ(u)};</li>
 *   <li>alpha {@code s(u) = e^((α−1)u) / (α−1)}; at |α − 1| &lt; 1e-6, the limit, reverse_kl, as TRL
 *       falls back to it.</li>
 * </ul>
 * Exponents are clamped at {@value #MAX_EXPONENT}, so s stays finite for any log-ratio; forward_kl
 * is the alpha form at α = 0 and shares that clamp. These are TRL's {@code f_divergence_type} forms
 * as of v0.29 through v1.9 (and main, 1.10.0.dev0, July 2026).
 *
 * <p>Length normalisation comes after the transform, h̄ = s(c)/|y_w| − s(r)/|y_l|, as TRL computes
 * ipo since v0.29 and sigmoid_norm since it appeared (v1.4). TRL up to v0.28 averaged the
 * log-probabilities over the completion first, s(c/|y_w|) − s(r/|y_l|); the two agree at reverse_kl.
 */
final class Divergence {
    static final String REVERSE_KL = "reverse_kl";
    static final String FORWARD_KL = "forward_kl";
    static final String JS = "js";
    static final String ALPHA = "alpha";

    static final Knob<String> KIND = Knob.text("divergence", REVERSE_KL,
            "f-divergence whose s(u) replaces the log-ratios c, r in h = s(c) − s(r)",
            REVERSE_KL, FORWARD_KL, JS, ALPHA);
    static final Knob<Double> ALPHA_COEFFICIENT = Knob.real(ALPHA, 0.5,
            "α of the alpha divergence, s(u) = e^((α−1)u)/(α−1); any finite α, α = 1 being reverse_kl");

    /** TRL's tolerance for the limit α → 1, where it falls back to reverse_kl. */
    static final double ALPHA_LIMIT = 1e-6;
    static final List<Knob<?>> KNOBS = List.of(KIND, ALPHA_COEFFICIENT);

    /** The catalogue's cap: e^80 ≈ 5.5e34 is finite even in float32 (largest 3.4e38). */
    static final double MAX_EXPONENT = 80;

    private static final Divergence IDENTITY = new Divergence(null);

    /** s, or null for reverse_kl so that h is computed exactly as {@link PreferenceBatch#margin()}. */
    private final UnaryOperator<Tensor> transform;

    private Divergence(UnaryOperator<Tensor> transform) {
        this.transform = transform;
    }

    /** The divergence chosen by the knobs {@code divergence} and {@code alpha}. */
    static Divergence from(Settings settings) {
        double alpha = settings.real(ALPHA);
        if (!Double.isFinite(alpha)) {
            throw new IllegalArgumentException(settings.owner() + ": knob '" + ALPHA + "' must be finite, got " + alpha);
        }
        String kind = settings.text(KIND.name());
        return switch (kind) {
            case REVERSE_KL -> IDENTITY;
            case FORWARD_KL -> new Divergence(u -> power(u, 0));
            case JS -> new Divergence(Tensor::logSigmoid);
            case ALPHA -> Math.abs(alpha - 1) < ALPHA_LIMIT ? IDENTITY : new Divergence(u -> power(u, alpha));
            // Settings already checks the choices; this guards a choice added without a case here.
            default -> throw new IllegalArgumentException(settings.owner() + ": knob '" + KIND.name()
                    + "' must be " + KIND.range() + ", got '" + kind + "'");
        };
    }

    /** h = s(c) − s(r). */
    Tensor margin(PreferenceBatch batch) {
        return transform == null ? batch.margin() : between(batch.chosenLogRatio(), batch.rejectedLogRatio());
    }

    /** h̄ = s(c)/|y_w| − s(r)/|y_l|: transformed first, then normalised, as TRL since v0.29. */
    Tensor normalisedMargin(PreferenceBatch batch) {
        return score(batch.chosenLogRatio()).div(batch.chosenLength())
                .sub(score(batch.rejectedLogRatio()).div(batch.rejectedLength()));
    }

    private Tensor score(Tensor u) {
        return transform == null ? u : transform.apply(u);
    }

    private Tensor between(Tensor c, Tensor r) {
        return score(c).sub(score(r));
    }

    /** e^min((α−1)u, 80) / (α−1); min(x, 80) written as x − relu(x − 80). */
    private static Tensor power(Tensor u, double alpha) {
        Tensor exponent = u.mul(alpha - 1);
        return exponent.sub(exponent.sub(MAX_EXPONENT).relu()).exp().div(alpha - 1);
    }
}
