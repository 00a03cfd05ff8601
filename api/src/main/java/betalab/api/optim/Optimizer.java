package betalab.api.optim;

import betalab.api.Stateful;
import betalab.api.registry.ExtensionPoint;
import betalab.api.tensor.Tensor;
import java.util.List;

/**
 * Updates parameters from their accumulated gradients, as {@code torch.optim.Optimizer}; its state
 * (moments, step counts) is what a checkpoint saves.
 */
public interface Optimizer extends Stateful {

    /** The optimizers, bound by name; each is built over the parameters it updates. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    ExtensionPoint<Optimizer, List<Tensor>> POINT = ExtensionPoint.of("optimizer", "Optimizers", Optimizer.class);

    /** One update of every parameter that has a gradient. */
    void step();

    /** Clears every parameter's gradient. */
    void zeroGrad();

    /** The learning rate the next step uses. */
    double learningRate();

    /**
     * Sets the learning rate of the steps that follow, as a learning-rate scheduler sets a param
     * group's {@code lr} in torch: everything else (moments, step counts) is kept, and wherever the
     * rate enters an update it is this one (AdamW's decoupled weight decay too). It is not part of
     * {@link #state()}: a schedule sets it again from the step number.
     *
     * @param lr ≥ 0 and finite (a warm-up starts at 0)
     */
    void learningRate(double lr);
}
