package betalab.models;

import betalab.api.nn.Mlp;
import betalab.api.nn.Module;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
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
    static final List<Knob> KNOBS = MlpHeads.knobs(10);

    private final Mlp mlp;
    private final PromptInput input;
    private final String owner;

    /** The seed's β(x) on prompt features. */
    public SoftplusMlpBeta(Mlp mlp) {
        this(mlp, PromptInput.FEATURES, "softplus_mlp β");
    }

    SoftplusMlpBeta(Mlp mlp, PromptInput input, String owner) {
        this.mlp = child("mlp", mlp);
        this.input = input;
        this.owner = owner;
    }

    @Override
    public Tensor beta(PreferenceBatch batch) {
        return mlp.forward(input.read(batch, owner)).softplus().flatten();
    }

    /** A softplus MLP β reading {@code input}, with the "hidden" and "activation" knobs. */
    static SoftplusMlpBeta fromSettings(PromptInput input, Settings settings, Context context) {
        int in = input.width(context, settings.owner());
        return new SoftplusMlpBeta(MlpHeads.build(in, settings, context), input, settings.owner());
    }
}
