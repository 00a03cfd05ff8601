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
}
