package betalab.loss;

import betalab.api.tensor.Tensor;

/**
 * Per-pair losses as functions of a scaled margin z (z = β·h for the DPO family): the ℓ of
 * ℓ(z). Each is written with log σ and σ of ±z only, so it stays finite for any finite z; where a
 * formula multiplies a vanishing weight by a growing term (exo_pair, discopop), the product is
 * taken in log space or from terms that stay bounded. Formulas from TRL's {@code DPOTrainer}
 * and the papers named at each method.
 */
final class Links {
    private Links() {
    }

    /** DPO (Rafailov et al. 2023): −log σ(z). */
    static Tensor logistic(Tensor z) {
        return z.logSigmoid().neg();
    }

    /** cDPO, TRL's label smoothing: −(1−ε) log σ(z) − ε log σ(−z). At ε = 0 it is {@link #logistic}. */
    static Tensor smoothed(Tensor z, double epsilon) {
        return z.logSigmoid().mul(1 - epsilon).add(z.neg().logSigmoid().mul(epsilon)).neg();
    }

    /**
     * Robust DPO (Chowdhury et al. 2024): [−(1−ε) log σ(z) + ε log σ(−z)] / (1−2ε), an unbiased
     * estimate of the clean-label loss under a flip rate ε; note the + on the second term, unlike cDPO.
     */
    static Tensor robust(Tensor z, double epsilon) {
        return z.logSigmoid().mul(-(1 - epsilon)).add(z.neg().logSigmoid().mul(epsilon)).div(1 - 2 * epsilon);
    }

    /** SLiC's hinge: relu(1 − z). */
    static Tensor hinge(Tensor z) {
        return z.neg().add(1).relu();
    }

    /**
     * EXO, pairwise (Ji et al. 2024): KL from the model's preference distribution (σ(z), σ(−z)) to
     * the target (1−ε, ε): σ(z)[log σ(z) − log(1−ε)] + σ(−z)[log σ(−z) − log ε]. σ(±z) underflows
     * to 0 only where log σ(±z) is finite, so the products stay finite.
     */
    static Tensor exo(Tensor z, double epsilon) {
        Tensor chosen = z.sigmoid().mul(z.logSigmoid().sub(Math.log1p(-epsilon)));
        Tensor rejected = z.neg().sigmoid().mul(z.neg().logSigmoid().sub(Math.log(epsilon)));
        return chosen.add(rejected);
    }

    /**
     * DiscoPOP (Chris Lu et al. 2024), m = σ(z/τ): (1−m)(−log σ(z)) + m·e^(−z). The second term is
     * e^(log σ(z/τ) − z), which for τ &lt; 1 vanishes as z → −∞ where the plain product would be 0·∞.
     */
    static Tensor discopop(Tensor z, double tau) {
        Tensor scaled = z.div(tau);
        Tensor logistic = scaled.neg().sigmoid().mul(logistic(z));
        return logistic.add(scaled.logSigmoid().sub(z).exp());
    }

    /**
     * e^x − 1 without the cancellation of exp(x) − 1 near 0 (the tensors have no expm1): with
     * t = tanh(x/2), e^x − 1 = 2t/(1 − t) and 1 − t = 2σ(−x), so e^x − 1 = tanh(x/2)/σ(−x), each factor
     * accurate to a few ulp for any x.
     */
    static Tensor expm1(Tensor x) {
        return x.mul(0.5).tanh().div(x.neg().sigmoid());
    }
}
