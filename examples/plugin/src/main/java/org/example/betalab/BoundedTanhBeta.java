package org.example.betalab;

import betalab.api.nn.Module;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PromptHead;
import betalab.api.preference.PromptInput;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.Tensor;
import java.util.List;

/**
 * β(x) = β₀·(1 + tanh(MLP(x))): a learned, per-prompt β bounded to (0, 2β₀), so it can run away
 * neither way. x is the policy's representation of the prompt where the run has one (then the
 * loss's gradient through β reaches the policy too), else the prompt features. Forward code only.
 */
final class BoundedTanhBeta extends Module implements BetaEstimator {
    static final Knob<Double> BETA0 = Knob.real("beta0", 0.1, "β₀, the centre of β").positive();
    static final List<Knob<?>> KNOBS = List.of(BETA0, PromptHead.HIDDEN, PromptHead.ACTIVATION);

    private final PromptHead head;
    private final double beta0;

    BoundedTanhBeta(Settings settings, Context context) {
        head = child("head", new PromptHead(PromptInput.available(context), 1, settings, context));
        beta0 = settings.get(BETA0);
    }

    @Override
    public Tensor beta(PreferenceBatch batch) {
        return head.forward(batch).flatten().tanh().add(1).mul(beta0);
    }

    @Override
    public double baseBeta() {
        return beta0;
    }
}
