package betalab.api.preference;

import betalab.api.tensor.Tensor;
import java.util.Objects;

/**
 * A batch of n preference pairs as losses and β estimators see them. Log-probabilities are summed
 * over each completion, shape [n]; lengths are token counts, shape [n]; features describe each
 * prompt, shape [n, d], and may be absent.
 *
 * @param policyChosen   log πθ(y_w | x)
 * @param policyRejected log πθ(y_l | x)
 * @param refChosen      log π_ref(y_w | x)
 * @param refRejected    log π_ref(y_l | x)
 * @param chosenLength   |y_w|
 * @param rejectedLength |y_l|
 * @param features       prompt features (or the policy's representation of the prompt), or null
 */
public record PreferenceBatch(Tensor policyChosen, Tensor policyRejected, Tensor refChosen, Tensor refRejected,
                              Tensor chosenLength, Tensor rejectedLength, Tensor features) {

    public PreferenceBatch {
        Objects.requireNonNull(policyChosen, "policyChosen");
        Objects.requireNonNull(policyRejected, "policyRejected");
        Objects.requireNonNull(refChosen, "refChosen");
        Objects.requireNonNull(refRejected, "refRejected");
        Objects.requireNonNull(chosenLength, "chosenLength");
        Objects.requireNonNull(rejectedLength, "rejectedLength");
        int n = policyChosen.size();
        for (Tensor t : new Tensor[] {policyRejected, refChosen, refRejected, chosenLength, rejectedLength}) {
            if (t.rank() != 1 || t.size() != n) {
                throw new IllegalArgumentException("every per-pair tensor must have shape [" + n + "]");
            }
        }
        if (features != null && (features.rank() != 2 || features.dim(0) != n)) {
            throw new IllegalArgumentException("features must have shape [" + n + ", d]");
        }
    }

    /**
     * Pairs given directly by their margin Δ (the seed experiment's setting): log πθ(y_w) = Δ and
     * every other log-probability 0, so h = Δ; unit lengths.
     */
    public static PreferenceBatch ofMargins(Tensor margin, Tensor features) {
        Tensor zero = margin.zerosLike();
        Tensor one = zero.add(1.0);
        return new PreferenceBatch(margin, zero, zero, zero, one, one, features);
    }

    public int size() {
        return policyChosen.size();
    }

    /** c = log πθ(y_w) − log π_ref(y_w). */
    public Tensor chosenLogRatio() {
        return policyChosen.sub(refChosen);
    }

    /** r = log πθ(y_l) − log π_ref(y_l). */
    public Tensor rejectedLogRatio() {
        return policyRejected.sub(refRejected);
    }

    /** h = c − r, the seed document's Δ. */
    public Tensor margin() {
        return chosenLogRatio().sub(rejectedLogRatio());
    }
}
