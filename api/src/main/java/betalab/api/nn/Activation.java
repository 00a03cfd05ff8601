package betalab.api.nn;

import betalab.api.tensor.Tensor;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.UnaryOperator;

/** Element-wise non-linearities selectable by name. */
public enum Activation {
    RELU(Tensor::relu),
    TANH(Tensor::tanh),
    SIGMOID(Tensor::sigmoid),
    SOFTPLUS(Tensor::softplus),
    IDENTITY(x -> x);

    private final UnaryOperator<Tensor> function;

    Activation(UnaryOperator<Tensor> function) {
        this.function = function;
    }

    public Tensor apply(Tensor x) {
        return function.apply(x);
    }

    /** The activation with this lower-case name, or an error listing the choices. */
    public static Activation named(String name) {
        for (Activation a : values()) {
            if (a.label().equals(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown activation '" + name + "'; expected one of "
                + Arrays.toString(Arrays.stream(values()).map(Activation::label).toArray()));
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
