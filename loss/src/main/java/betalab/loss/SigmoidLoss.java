package betalab.loss;

import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.tensor.Tensor;

/**
 * DPO's loss (Rafailov et al. 2023), per pair −log σ(β·h) with h the margin of log-ratios,
 * computed as −logσ so it stays finite for any β·h. Its gradient in β is −h·σ(−βh). The registry's
 * {@code sigmoid} with its default divergence (reverse_kl) is this loss; this class is for code
 * that builds plain DPO directly.
 */
public final class SigmoidLoss implements PreferenceLoss {

    @Override
    public Tensor perPair(PreferenceBatch batch, Tensor beta) {
        return Links.logistic(beta.mul(batch.margin()));
    }
}
