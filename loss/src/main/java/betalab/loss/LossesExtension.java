package betalab.loss;

import static betalab.loss.Links.logistic;

import betalab.api.preference.PreferenceLoss;
import betalab.api.registry.Extension;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import com.google.inject.AbstractModule;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Binds the preference losses by their TRL {@code loss_type} names. Formulas and sources: the README's
 * catalogue and the papers named there; c, r are the chosen and rejected log-ratios, s the
 * f-divergence's transform (identity by default), h = s(c) − s(r), h̄ = s(c)/|y_w| − s(r)/|y_l|, β is
 * per pair. Losses written in h (or h̄) also take the f-divergence knobs of {@link Divergence}. At the
 * default divergence every formula matches TRL's {@code DPOTrainer} of v1.9 (and main, 1.10.0.dev0,
 * July 2026); with another divergence so do those in h and h̄ — ipo since v0.29 (earlier:
 * s(c/|y_w|) − s(r/|y_l|)), sigmoid_norm since it appeared in v1.4 — while TRL also transforms c, r in
 * nca_pair, bco_pair and sppo_hard, which here take no divergence. Not in TRL's DPOTrainer: dpop (the Smaug
 * paper), cal_dpo (its authors' code) and alphapo (TRL's CPOTrainer), none of which takes a divergence.
 */
public final class LossesExtension extends AbstractModule implements Extension {
    static final String EPSILON = "epsilon";
    static final String GAMMA = "gamma";
    static final String TAU = "tau";
    static final String LAMBDA = "lambda";
    static final String ALPHA = "alpha";

    // Knobs as TRL names and bounds them (label_smoothing, simpo_gamma, discopop_tau), declared once.
    static final Knob<Double> LABEL_SMOOTHING = Knob.real(EPSILON, 0.0, "label smoothing ε: assumed rate of flipped labels")
            .between(0, 0.5, true);
    static final Knob<Double> FLIP_RATE = Knob.real(EPSILON, 0.0, "assumed rate ε of flipped labels")
            .between(0, 0.5, false);
    // TRL's exo_pair takes label_smoothing 0 to mean 1e-3, since log ε needs ε > 0.
    static final Knob<Double> EXO_EPSILON = Knob.real(EPSILON, 1e-3, "ε of the target preference distribution (1−ε, ε)")
            .between(0, 1, false).positive();
    static final Knob<Double> MARGIN_GAMMA = Knob.real(GAMMA, 0.5, "target reward margin γ").atLeast(0);
    // λ = 50, the value of the Smaug paper (Pal et al. 2024).
    static final Knob<Double> DPOP_LAMBDA = Knob.real(LAMBDA, 50.0,
            "λ of the penalty λ·max(0, −c) on a chosen log-ratio below 0").atLeast(0);
    // AlphaPO's α = 0.25, the paper's Mistral-Instruct setting (Table 3, as TRL's paper index quotes it).
    // Any finite α, negative included.
    static final Knob<Double> ALPHAPO_ALPHA = Knob.real(ALPHA, 0.25,
            "α of the reward shape (1 − π^(−α/|y|))/α; 0 is SimPO's log-probability per token");
    // Off by default, as current TRL's DPO loss; on, as TRL's BCOTrainer and its DPO loss up to v0.11.
    static final Knob<Boolean> RUNNING_SHIFT = Knob.flag("running_shift", false,
            "shift rewards by δ, the running mean over steps of each batch's mean reward");
    static final Knob<Double> TEMPERATURE = Knob.real(TAU, 0.05, "temperature τ of the modulation σ(βh/τ)").positive();

    @Override
    protected void configure() {
        loss("sigmoid", "DPO: −log σ(βh)", onH(), s -> Losses.ofMargin(Divergence.from(s), Links::logistic));
        loss("cdpo", "conservative DPO: −(1−ε) log σ(βh) − ε log σ(−βh)", onH(LABEL_SMOOTHING),
                s -> Losses.ofMargin(Divergence.from(s), z -> Links.smoothed(z, s.real(EPSILON))));
        loss("robust", "robust DPO: [−(1−ε) log σ(βh) + ε log σ(−βh)] / (1−2ε)", onH(FLIP_RATE),
                s -> Losses.ofMargin(Divergence.from(s), z -> Links.robust(z, s.real(EPSILON))));
        loss("hinge", "SLiC: relu(1 − βh)", onH(), s -> Losses.ofMargin(Divergence.from(s), Links::hinge));
        loss("ipo", "IPO: (h̄ − 1/(2β))², h̄ = s(c)/|y_w| − s(r)/|y_l| (TRL ≥ v0.29; "
                + "v0.28 and earlier normalised before s)", onH(), s -> Losses.ipo(Divergence.from(s)));
        loss("exo_pair", "EXO: σ(βh)[log σ(βh) − log(1−ε)] + σ(−βh)[log σ(−βh) − log ε]", onH(EXO_EPSILON),
                s -> Losses.ofMargin(Divergence.from(s), z -> Links.exo(z, s.real(EPSILON))));
        loss("nca_pair", "NCA: −log σ(βc) − ½ log σ(−βc) − ½ log σ(−βr)", List.of(), s -> Losses.ofRewards(
                (bc, br) -> logistic(bc).add(logistic(bc.neg()).add(logistic(br.neg())).mul(0.5))));
        loss("bco_pair", "BCO, paired: −log σ(βc − δ) − log σ(−(βr − δ)), δ = 0 or the running mean reward "
                + "(Jung et al. 2024; TRL)", List.of(RUNNING_SHIFT), s -> new BcoPairLoss(s.get(RUNNING_SHIFT)));
        loss("sppo_hard", "SPPO, hard labels: (c − 1/(2β))² + (r + 1/(2β))²", List.of(), s -> Losses.sppoHard());
        loss("aot", "AOT: −(1−ε) log σ(d) − ε log σ(−d), d = sort(β(log πθ(y_w) − log πθ(y_l))) − sort(β(log "
                + "π_ref(y_w) − log π_ref(y_l))) over the batch", List.of(LABEL_SMOOTHING),
                s -> Losses.aot(s.real(EPSILON)));
        loss("aot_unpaired", "AOT, unpaired: −(1−ε) log σ(d) − ε log σ(−d), d = sort(βc) − sort(βr) over the batch",
                List.of(LABEL_SMOOTHING), s -> Losses.aotUnpaired(s.real(EPSILON)));
        // 1 − σ(x) is taken as σ(−x), which keeps its precision where σ(x) rounds to 1.
        loss("apo_zero", "APO-zero: (1 − σ(βc)) + σ(βr)", List.of(),
                s -> Losses.ofRewards((bc, br) -> bc.neg().sigmoid().add(br.sigmoid())));
        loss("apo_down", "APO-down: σ(βc) + (1 − σ(βh))", List.of(),
                s -> Losses.ofRewards((bc, br) -> bc.sigmoid().add(br.sub(bc).sigmoid())));
        loss("discopop", "DiscoPOP: (1−m)(−log σ(βh)) + m·e^(−βh), m = σ(βh/τ)", onH(TEMPERATURE),
                s -> Losses.ofMargin(Divergence.from(s), z -> Links.discopop(z, s.real(TAU))));
        loss("sigmoid_norm", "length-normalised DPO: −log σ(β·h̄), h̄ = s(c)/|y_w| − s(r)/|y_l| (TRL ≥ v1.4)", onH(),
                s -> Losses.ofNormalisedMargin(Divergence.from(s), Links::logistic));
        loss("simpo", "SimPO, reference-free: −log σ(β·log πθ(y_w)/|y_w| − β·log πθ(y_l)/|y_l| − γ)",
                List.of(MARGIN_GAMMA), s -> Losses.simpo(s.real(GAMMA)));
        loss("dpop", "DPO-Positive (Pal et al. 2024, Smaug, arXiv 2402.13228): −log σ(β·(h − λ·max(0, −c)))",
                List.of(DPOP_LAMBDA), s -> Losses.dpop(s.real(LAMBDA)));
        loss("cal_dpo", "Cal-DPO (Xiao et al. 2024, NeurIPS), as the authors' code (tengxiao1/Cal-DPO): "
                + "−log σ(c − r) + ½(c − 1/(2β))² + ½(r + 1/(2β))²", List.of(), s -> Losses.calDpo());
        loss("alphapo", "AlphaPO (Gupta et al. 2025, arXiv 2501.03884), as TRL's CPOTrainer: −log σ(β·(r(y_w) − "
                + "r(y_l)) − γ), r(y) = (1 − πθ(y)^(−α/|y|))/α, exponent capped at 80; α = 0 is simpo",
                List.of(ALPHAPO_ALPHA, MARGIN_GAMMA), s -> Losses.alphapo(s.real(ALPHA), s.real(GAMMA)));
        loss("sft", "the chosen completion's negative log-likelihood per token: −log πθ(y_w)/|y_w| (TRL's sft term; "
                + "weighted with another loss it is RPO's rpo_alpha and the MPO recipes)", List.of(), s -> Losses.sft());
        PreferenceLoss.POINT.bind(binder(), WeightedLossProvider.NAME, WeightedLossProvider.class);
    }

    private void loss(String name, String formula, List<Knob<?>> knobs, Function<Settings, PreferenceLoss> factory) {
        PreferenceLoss.POINT.bind(binder(), name, formula, knobs, (settings, none) -> factory.apply(settings));
    }

    /** The knobs of a loss written in h: its own, then the f-divergence's. */
    private static List<Knob<?>> onH(Knob<?>... own) {
        List<Knob<?>> all = new ArrayList<>(List.of(own));
        all.addAll(Divergence.KNOBS);
        return List.copyOf(all);
    }
}
