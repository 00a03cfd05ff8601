package betalab.experiments;

import betalab.api.tensor.NonFiniteValueException;
import betalab.api.tensor.Tensor;
import java.util.List;

/** Stops training at the first NaN or infinity, naming the step and the quantity. */
public final class FiniteCheck {
    private FiniteCheck() {
    }

    public static void require(long step, String quantity, Tensor value) {
        if (!value.allFinite()) {
            throw new NonFiniteValueException(step, quantity);
        }
    }

    /** Every parameter's gradient; the error names the parameter by its position. */
    public static void requireGradients(long step, List<Tensor> parameters) {
        for (int i = 0; i < parameters.size(); i++) {
            Tensor g = parameters.get(i).grad();
            if (g != null) {
                require(step, "gradient of parameter " + i, g);
            }
        }
    }
}
