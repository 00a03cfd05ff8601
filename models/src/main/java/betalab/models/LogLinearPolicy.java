package betalab.models;

import betalab.api.nn.Linear;
import betalab.api.nn.Module;
import betalab.api.policy.Policy;
import betalab.api.tensor.Tensor;

/**
 * The log-linear policy πθ(y_k | x) = softmax_k((W·x)·y_k): its representation of a prompt is
 * W·x. W (responseDim × promptDim) starts as {@code nn.Linear}'s weight would, times a scale.
 */
public final class LogLinearPolicy extends Module implements Policy {
    private final Tensor weight;

    public LogLinearPolicy(Policy.Context context, double initScale) {
        Linear init = new Linear(context.promptDim(), context.responseDim(), context.rng(), context.dtype());
        weight = parameter("weight", init.weight().detach().mul(initScale));
    }

    @Override
    public Tensor encode(Tensor prompts) {
        return prompts.matmulTransposed(weight);
    }
}
