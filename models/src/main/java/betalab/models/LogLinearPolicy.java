package betalab.models;

import betalab.api.nn.Linear;
import betalab.api.tensor.Tensor;

/**
 * The log-linear policy πθ(y_k | x) = softmax_k((W·x)·y_k): its representation of a prompt is
 * W·x. W (responseDim × promptDim) starts as {@code nn.Linear}'s weight would, times a scale.
 */
public final class LogLinearPolicy extends CandidatePolicy {
    private final Tensor weight;

    public LogLinearPolicy(Context context, double initScale) {
        super(context, "policy 'log_linear'");
        Linear init = new Linear(promptDim(), representationDim(), context.rng(), context.dtype());
        weight = parameter("weight", init.weight().detach().mul(initScale));
    }

    @Override
    Tensor encode(Tensor prompts) {
        return prompts.matmulTransposed(weight);
    }
}
