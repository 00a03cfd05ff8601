package betalab.models;

import betalab.api.nn.Activation;
import betalab.api.nn.Mlp;
import betalab.api.tensor.Tensor;

/** πθ(y_k | x) = softmax_k(MLP(x)·y_k): the log-linear policy with an MLP encoder of the prompt. */
public final class MlpPolicy extends CandidatePolicy {
    private final Mlp encoder;

    public MlpPolicy(Context context, int[] hidden, Activation activation) {
        super(context, "policy 'mlp'");
        encoder = child("encoder", new Mlp(promptDim(), hidden, representationDim(), activation, context.rng(),
                context.dtype()));
    }

    @Override
    Tensor encode(Tensor prompts) {
        return encoder.forward(prompts);
    }
}
