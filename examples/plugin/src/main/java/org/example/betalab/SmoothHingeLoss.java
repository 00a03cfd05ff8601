package org.example.betalab;

import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.tensor.Tensor;

/**
 * The softplus-smoothed hinge τ·softplus((m − βh)/τ), with h the pair's log-ratio margin. As τ → 0
 * it becomes SLiC's hinge relu(m − βh); with τ = 1 and m = 0 it is DPO's −log σ(βh). Unlike the
 * hinge it has a gradient everywhere, and unlike DPO it stops pushing once βh is a few τ past m.
 */
final class SmoothHingeLoss implements PreferenceLoss {
    private final double margin;
    private final double tau;

    SmoothHingeLoss(double margin, double tau) {
        this.margin = margin;
        this.tau = tau;
    }

    @Override
    public Tensor perPair(PreferenceBatch batch, Tensor beta) {
        return beta.mul(batch.margin()).neg().add(margin).div(tau).softplus().mul(tau);
    }
}
