package org.example.betalab;

import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.Tensor;
import java.util.List;

/**
 * The softplus-smoothed hinge τ·softplus((m − βh)/τ), with h the pair's log-ratio margin. As τ → 0
 * it becomes SLiC's hinge relu(m − βh); with τ = 1 and m = 0 it is DPO's −log σ(βh). Unlike the
 * hinge it has a gradient everywhere, and unlike DPO it stops pushing once βh is a few τ past m.
 */
final class SmoothHingeLoss implements PreferenceLoss {
    static final Knob<Double> MARGIN = Knob.real("margin", 1.0, "m, the target of βh").atLeast(0);
    static final Knob<Double> TAU = Knob.real("tau", 0.1, "τ, the smoothing width").positive();
    static final List<Knob<?>> KNOBS = List.of(MARGIN, TAU);

    private final double margin;
    private final double tau;

    SmoothHingeLoss(Settings settings) {
        this.margin = settings.get(MARGIN);
        this.tau = settings.get(TAU);
    }

    @Override
    public Tensor perPair(PreferenceBatch batch, Tensor beta) {
        return beta.mul(batch.margin()).neg().add(margin).div(tau).softplus().mul(tau);
    }
}
