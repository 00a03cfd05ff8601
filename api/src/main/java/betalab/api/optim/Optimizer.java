package betalab.api.optim;

import betalab.api.Stateful;
import betalab.api.registry.Component;
import betalab.api.registry.Settings;
import betalab.api.tensor.Tensor;
import java.util.List;

/**
 * Updates parameters from their accumulated gradients, as {@code torch.optim.Optimizer}; its state
 * (moments, step counts) is what a checkpoint saves.
 */
public interface Optimizer extends Stateful {

    /** One update of every parameter that has a gradient. */
    void step();

    /** Clears every parameter's gradient. */
    void zeroGrad();

    /** Makes the optimizer over given parameters from its knobs; bound by name in the registry. */
    interface Provider extends Component {
        Optimizer create(Settings settings, List<Tensor> parameters);
    }
}
