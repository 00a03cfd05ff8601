package org.example.betalab;

import betalab.api.nn.Activation;
import betalab.api.nn.Mlp;
import betalab.api.nn.Module;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.tensor.Tensor;

/**
 * β(x) = β₀ · exp(tanh(MLP(x))): a learned, per-prompt β that stays within a factor e of β₀ either
 * way, so it can neither collapse to 0 nor run away. x is the policy's representation of the prompt
 * when there is one (then the loss's gradient through β also reaches the policy), else the prompt
 * features given with the data. Forward code only: gradients come from the tensors.
 */
final class BoundedExpBeta extends Module implements BetaEstimator {
    private final Mlp mlp;
    private final double beta0;
    private final boolean onRepresentation;

    BoundedExpBeta(double beta0, int[] hidden, Activation activation, Context context) {
        this.onRepresentation = context.representationDim() > 0;
        int in = onRepresentation ? context.representationDim() : context.featureDim();
        if (in < 1) {
            throw new IllegalArgumentException("bounded_exp needs prompt features or a policy representation; "
                    + "the data has neither");
        }
        this.mlp = child("mlp", new Mlp(in, hidden, 1, activation, context.rng(), context.dtype()));
        this.beta0 = beta0;
    }

    @Override
    public Tensor beta(PreferenceBatch batch) {
        Tensor x = onRepresentation ? batch.representation() : batch.features();
        if (x == null) {
            throw new IllegalArgumentException("bounded_exp needs the batch's "
                    + (onRepresentation ? "representation" : "features") + ", it has none");
        }
        return mlp.forward(x).flatten().tanh().exp().mul(beta0);
    }
}
