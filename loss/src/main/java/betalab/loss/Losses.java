package betalab.loss;

import betalab.api.preference.PreferenceLoss;
import betalab.api.tensor.Tensor;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;

/**
 * The shapes the catalogue's losses take, as {@link PreferenceLoss} factories over the batch's
 * log-ratios c, r, margin h = c − r and per-pair β (shape [n]; a fixed β is the constant vector).
 *
 * <p>Where β appears as a target 1/(2β) (ipo, sppo_hard), each pair uses its own β: the target
 * moves pair by pair with the β scheme, and its gradient −1/(2β²) reaches β.
 */
final class Losses {
    private Losses() {
    }

    /** ℓ(β·h), h under the given f-divergence: sigmoid, cdpo, robust, hinge, exo_pair, discopop. */
    static PreferenceLoss ofMargin(Divergence divergence, UnaryOperator<Tensor> link) {
        return (batch, beta) -> link.apply(beta.mul(divergence.margin(batch)));
    }

    /** ℓ(β·h̄), h̄ = c/|y_w| − r/|y_l| the length-normalised margin: sigmoid_norm. */
    static PreferenceLoss ofNormalisedMargin(Divergence divergence, UnaryOperator<Tensor> link) {
        return (batch, beta) -> link.apply(beta.mul(divergence.normalisedMargin(batch)));
    }

    /** ℓ(βc, βr), for losses that score the chosen and rejected rewards apart: nca_pair, bco_pair, apo. */
    static PreferenceLoss ofRewards(BinaryOperator<Tensor> loss) {
        return (batch, beta) -> loss.apply(beta.mul(batch.chosenLogRatio()), beta.mul(batch.rejectedLogRatio()));
    }

    /** IPO (Azar et al. 2023): (h̄ − 1/(2β))², on TRL's length-normalised margin. */
    static PreferenceLoss ipo(Divergence divergence) {
        return (batch, beta) -> divergence.normalisedMargin(batch).sub(halfInverse(beta)).square();
    }

    /** SPPO, hard labels: (c − 1/(2β))² + (r + 1/(2β))². */
    static PreferenceLoss sppoHard() {
        return (batch, beta) -> {
            Tensor target = halfInverse(beta);
            return batch.chosenLogRatio().sub(target).square().add(batch.rejectedLogRatio().add(target).square());
        };
    }

    /**
     * AOT (D'Oosterlinck et al. 2024), paired: d = sort(β·(log πθ(y_w) − log πθ(y_l))) −
     * sort(β·(log π_ref(y_w) − log π_ref(y_l))) over the batch, then cDPO's −(1−ε) log σ(d) − ε log σ(−d).
     * See {@link #sortedDifference} for how a per-pair β enters.
     */
    static PreferenceLoss aot(double epsilon) {
        return PreferenceLoss.coupled((batch, beta) -> Links.smoothed(sortedDifference(
                beta.mul(batch.policyChosen().sub(batch.policyRejected())),
                beta.mul(batch.refChosen().sub(batch.refRejected()))), epsilon));
    }

    /** AOT, unpaired: d = sort(β·c) − sort(β·r) over the batch, then as {@link #aot}. */
    static PreferenceLoss aotUnpaired(double epsilon) {
        return PreferenceLoss.coupled((batch, beta) -> Links.smoothed(
                sortedDifference(beta.mul(batch.chosenLogRatio()), beta.mul(batch.rejectedLogRatio())), epsilon));
    }

    /**
     * SimPO (Meng et al. 2024), reference-free: −log σ(β·log πθ(y_w)/|y_w| − β·log πθ(y_l)/|y_l| − γ).
     * Reads only the policy's log-probabilities and the lengths.
     */
    static PreferenceLoss simpo(double gamma) {
        return (batch, beta) -> Links.logistic(beta.mul(batch.policyChosen().div(batch.chosenLength())
                .sub(batch.policyRejected().div(batch.rejectedLength()))).sub(gamma));
    }

    /**
     * Supervised fine-tuning on the chosen completion: −log πθ(y_w)/|y_w|, its negative log-likelihood
     * per token, independent of β and the reference. TRL averages over every chosen token of the batch
     * at once; the mean of these per-pair values is the same when the completions are equally long and
     * otherwise weighs each pair alike rather than each token.
     */
    static PreferenceLoss sft() {
        return (batch, beta) -> batch.policyChosen().div(batch.chosenLength()).neg();
    }

    /**
     * DPO-Positive (Pal et al. 2024, "Smaug", arXiv 2402.13228, Eq. 3): −log σ(β·(h − λ·max(0, −c))), the
     * penalty switching on where the policy puts less mass on y_w than the reference does.
     */
    static PreferenceLoss dpop(double lambda) {
        return (batch, beta) -> {
            Tensor c = batch.chosenLogRatio();
            return Links.logistic(beta.mul(batch.margin().sub(c.neg().relu().mul(lambda))));
        };
    }

    /**
     * Cal-DPO (Xiao et al. 2024, NeurIPS), as the authors' code computes it (tengxiao1/Cal-DPO,
     * scripts/dpo_trainer.py, loss_type "Cal-DPO"): −log σ(c − r) + ½(c − 1/(2β))² + ½(r + 1/(2β))². β
     * enters only through the targets ±1/(2β); the authors' batch-mean squared errors become per-pair
     * squares, whose batch mean is the same.
     */
    static PreferenceLoss calDpo() {
        return (batch, beta) -> {
            Tensor c = batch.chosenLogRatio();
            Tensor r = batch.rejectedLogRatio();
            Tensor target = halfInverse(beta);
            Tensor calibration = c.sub(target).square().add(r.add(target).square()).mul(0.5);
            return Links.logistic(c.sub(r)).add(calibration);
        };
    }

    /**
     * AlphaPO (Gupta et al. 2025, arXiv 2501.03884), as TRL's CPOTrainer (loss_type "alphapo": SimPO with
     * cpo_alpha 0): −log σ(β·(r_α(y_w) − r_α(y_l)) − γ), r_α(y) = (1 − π(y)^(−α/|y|))/α = −expm1(−α·ℓ̄)/α with
     * ℓ̄ = log πθ(y)/|y|. At α = 0 it is SimPO (r = ℓ̄). The exponent −α·ℓ̄ is capped at
     * {@value Divergence#MAX_EXPONENT}, as in the f-divergences, so r stays finite.
     */
    static PreferenceLoss alphapo(double alpha, double gamma) {
        return (batch, beta) -> {
            Tensor chosen = batch.policyChosen().div(batch.chosenLength());
            Tensor rejected = batch.policyRejected().div(batch.rejectedLength());
            Tensor margin = alpha == 0 ? chosen.sub(rejected)
                    : alphaReward(chosen, alpha).sub(alphaReward(rejected, alpha));
            return Links.logistic(beta.mul(margin).sub(gamma));
        };
    }

    /** (1 − e^(−α·ℓ̄))/α = −expm1(x)/α, x = min(−α·ℓ̄, 80). */
    private static Tensor alphaReward(Tensor meanLogp, double alpha) {
        Tensor x = meanLogp.mul(-alpha);
        return Links.expm1(x.sub(x.sub(Divergence.MAX_EXPONENT).relu())).div(-alpha);
    }

    /** 1/(2β) per pair. */
    private static Tensor halfInverse(Tensor beta) {
        return beta.zerosLike().add(0.5).div(beta);
    }

    /**
     * sort(a) − sort(b), ascending over the batch; gather carries the gradient back to each
     * element's own position. With a per-pair β each pair's value is scaled by its own β before
     * sorting, so β stays attached to its pair (TRL's scalar β gives β·(sort(x) − sort(y)), the
     * same thing). Element i of the result is the i-th quantile's difference, not pair i's, so
     * AOT's per-pair losses are per quantile.
     */
    private static Tensor sortedDifference(Tensor a, Tensor b) {
        return a.gather(a.argsort()).sub(b.gather(b.argsort()));
    }
}
