package betalab.models;

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
 * The seed document's learnable β(x) = softplus(MLP(x)): positive by construction, trained by the
 * preference loss's gradient through β. On prompt features it is the seed's β(x) ("softplus_mlp");
 * on the policy's own representation of the prompt it is the seed document's β(x; πθ)
 * ("policy_mlp"), and the loss's gradient through β then also reaches the policy.
 */
public final class SoftplusMlpBeta extends Module implements BetaEstimator {
    static final List<Knob<?>> KNOBS = PromptHead.knobs(10);

    private final PromptHead head;

    SoftplusMlpBeta(PromptInput input, Settings settings, Context context) {
        this.head = child("head", new PromptHead(input, 1, settings, context));
    }

    @Override
    public Tensor beta(PreferenceBatch batch) {
        return head.forward(batch).softplus().flatten();
    }
}
