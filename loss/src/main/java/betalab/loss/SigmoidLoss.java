package betalab.loss;

import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.tensor.Tensor;

/**
 * DPO's loss (Rafailov et al. 2023), per pair −log σ(β·h) with h the margin of log-ratios,
 * computed as −logσ so it stays finite for any β·h. Its gradient in β is −h·σ(−βh).
 */
public final class SigmoidLoss implements PreferenceLoss {

    @Override
    public Tensor perPair(PreferenceBatch batch, Tensor beta) {
        return beta.mul(batch.margin()).logSigmoid().neg();
    }
}
