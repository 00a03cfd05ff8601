package betalab.models;

import betalab.api.nn.Activation;
import betalab.api.nn.Mlp;
import betalab.api.nn.Module;
import betalab.api.policy.Policy;
import betalab.api.tensor.Tensor;

/** πθ(y_k | x) = softmax_k(MLP(x)·y_k): the log-linear policy with an MLP encoder of the prompt. */
public final class MlpPolicy extends Module implements Policy {
    private final Mlp encoder;

    public MlpPolicy(Policy.Context context, int[] hidden, Activation activation) {
        encoder = child("encoder", new Mlp(context.promptDim(), hidden, context.responseDim(), activation,
                context.rng(), context.dtype()));
    }

    @Override
    public Tensor encode(Tensor prompts) {
        return encoder.forward(prompts);
    }
}
