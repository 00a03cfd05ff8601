package betalab.api.nn;

import betalab.api.random.Rng;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;

/**
 * y = x·Wᵀ + b with W stored out×in, initialised as {@code torch.nn.Linear}: weight then bias,
 * each uniform in ±1/√in.
 */
public final class Linear extends Module {
    private final Tensor weight;
    private final Tensor bias;

    public Linear(int in, int out, Rng rng, DType dtype) {
        double bound = 1.0 / Math.sqrt(in);
        weight = parameter("weight", Tensor.of(dtype, rng.uniform(out * in, -bound, bound), out, in));
        bias = parameter("bias", Tensor.of(dtype, rng.uniform(out, -bound, bound), out));
    }

    /** x of shape [batch, in] to [batch, out]. */
    public Tensor forward(Tensor x) {
        return x.matmulTransposed(weight).add(bias);
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }
}
