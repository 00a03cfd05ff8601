package betalab.training;

import betalab.api.tensor.NonFiniteValueException;
import betalab.api.tensor.Tensor;
import java.util.Map;

/**
 * Stops training at the first NaN or infinity, naming the step and the quantity: what the step
 * watches (β), the loss, then each parameter's gradient by its name.
 */
public final class NonFiniteCheck implements TrainingListener {

    @Override
    public void afterForward(Progress progress, StepResult result) {
        result.watched().forEach((name, value) -> require(progress.step(), name, value));
        require(progress.step(), "loss", result.loss());
    }

    @Override
    public void afterBackward(Progress progress) {
        for (Map.Entry<String, Tensor> p : progress.parameters().entrySet()) {
            Tensor g = p.getValue().grad();
            if (g != null) {
                require(progress.step(), "gradient of " + p.getKey(), g);
            }
        }
    }

    static void require(long step, String quantity, Tensor value) {
        if (!value.allFinite()) {
            throw new NonFiniteValueException(step, quantity);
        }
    }
}
