package betalab.models;

import betalab.api.nn.Module;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PromptHead;
import betalab.api.preference.PromptInput;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The seed document's learnable β(x) = softplus(MLP(x)): positive by construction, trained by the
 * preference loss's gradient through β. On prompt features it is the seed's β(x) ("softplus_mlp");
 * on the policy's own representation of the prompt it is the seed document's β(x; πθ)
 * ("policy_mlp"), and the loss's gradient through β then also reaches the policy.
 *
 * <p>{@code init_beta} > 0 starts β at that value for every input: the last layer's weights are set
 * to 0 and its bias to softplus⁻¹(init_beta). A bias shift alone would set only the mean; a zero
 * last layer makes β independent of the input at the start, and its weights still get a gradient
 * (the hidden activations), so the head learns from the first step (the layers before it from the
 * second, once the last layer's weights are not 0). 0, the default, keeps the random initialisation.
 */
public final class SoftplusMlpBeta extends Module implements BetaEstimator {
    static final Knob<Double> INIT_BETA = Knob.real("init_beta", 0.0,
            "β of every input at initialisation (zero last layer, bias softplus⁻¹(init_beta)); 0 keeps the random "
                    + "initial β").atLeast(0);
    static final List<Knob<?>> KNOBS = knobs();

    private final PromptHead head;
    private final double initBeta;

    SoftplusMlpBeta(PromptInput input, Settings settings, Context context) {
        this.head = child("head", new PromptHead(input, 1, settings, context));
        this.initBeta = settings.get(INIT_BETA);
        if (initBeta > 0) {
            startAt(head, initBeta);
        }
    }

    @Override
    public Tensor beta(PreferenceBatch batch) {
        return head.forward(batch).softplus().flatten();
    }

    /** init_beta when set (what LearnableBetaDPO starts from); else TRL's default. */
    @Override
    public double baseBeta() {
        return initBeta > 0 ? initBeta : TRL_DEFAULT_BETA;
    }

    /** softplus⁻¹(b) = log(eᵇ − 1), written to stay accurate for small and large b. */
    static double inverseSoftplus(double b) {
        return b + Math.log(-Math.expm1(-b));
    }

    /** Sets the head's last layer to weights 0 and bias {@code bias}, so its output is {@code bias} for every input. */
    static void zeroLastLayer(PromptHead head, double bias) {
        Map<String, Tensor> p = head.namedParameters();
        int last = -1;
        while (p.containsKey("mlp.layer" + (last + 1) + ".weight")) {
            last++;
        }
        Tensor weight = p.get("mlp.layer" + last + ".weight");
        Tensor b = p.get("mlp.layer" + last + ".bias");
        weight.copyInPlace(new double[weight.size()]);
        double[] biases = new double[b.size()];
        java.util.Arrays.fill(biases, bias);
        b.copyInPlace(biases);
    }

    private static void startAt(PromptHead head, double beta) {
        zeroLastLayer(head, inverseSoftplus(beta));
    }

    private static List<Knob<?>> knobs() {
        List<Knob<?>> knobs = new ArrayList<>(PromptHead.knobs(10));
        knobs.add(INIT_BETA);
        return List.copyOf(knobs);
    }
}
