package betalab.api.testkit;

import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;

import java.util.Arrays;
import java.util.function.Function;

/**
 * Compares reverse-mode gradients with central finite differences, as {@code torch.autograd.gradcheck}:
 * the check every new operation, loss or β architecture should pass. The differences are always
 * taken in float64 on the inputs' own backend, so float32 autodiff is judged against an accurate
 * reference; pass a looser tolerance for float32 inputs. It ships in betalab-api's test-jar, with the
 * conformance kits, for extensions' own tests.
 *
 * <p>{@code f} maps the inputs to a one-element tensor. It is called with parameters for the
 * autodiff pass and with float64 constants for the differences, so it should make any tensors of
 * its own in the dtype of its inputs.
 */
public final class GradientCheck {
    /** Relative step; with float64 rounding of about 1e-16 this leaves errors near 1e-10. */
    public static final double STEP = 1e-6;
    public static final double FLOAT64_TOLERANCE = 1e-6;

    private GradientCheck() {
    }

    /** Fails unless autodiff matches finite differences to {@link #FLOAT64_TOLERANCE}. */
    public static void check(Function<Tensor[], Tensor> f, Tensor... inputs) {
        check(FLOAT64_TOLERANCE, f, inputs);
    }

    /**
     * Fails with an {@link AssertionError} naming the input and element unless
     * |autodiff − numeric| ≤ tolerance · max(1, |autodiff|, |numeric|) everywhere: relative for
     * large gradients, absolute near zero.
     */
    public static void check(double tolerance, Function<Tensor[], Tensor> f, Tensor... inputs) {
        double[][] analytic = autodiff(f, inputs);
        double[][] numeric = finiteDifferences(f, inputs);
        for (int i = 0; i < inputs.length; i++) {
            for (int j = 0; j < numeric[i].length; j++) {
                double a = analytic[i][j];
                double n = numeric[i][j];
                double allowed = tolerance * Math.max(1.0, Math.max(Math.abs(a), Math.abs(n)));
                if (!(Math.abs(a - n) <= allowed)) {
                    throw new AssertionError(String.format("d/d input %d %s element %d: autodiff %s, finite "
                            + "difference %s", i, Arrays.toString(inputs[i].shape()), j, a, n));
                }
            }
        }
    }

    /** The gradient of f with respect to each input from one backward pass (zeros where none flowed). */
    public static double[][] autodiff(Function<Tensor[], Tensor> f, Tensor... inputs) {
        Tensor[] parameters = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            parameters[i] = inputs[i].detach().asParameter();
        }
        f.apply(parameters).backward();
        double[][] grads = new double[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            Tensor g = parameters[i].grad();
            grads[i] = g == null ? new double[inputs[i].size()] : g.toDoubleArray();
        }
        return grads;
    }

    /** (f(x + h) − f(x − h)) / 2h for every element of every input, evaluated in float64. */
    public static double[][] finiteDifferences(Function<Tensor[], Tensor> f, Tensor... inputs) {
        double[][] values = new double[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            values[i] = inputs[i].toDoubleArray();
        }
        double[][] grads = new double[inputs.length][];
        Tensor.NoGrad noGrad = Tensor.noGrad();
        try {
            for (int i = 0; i < inputs.length; i++) {
                grads[i] = new double[values[i].length];
                for (int j = 0; j < values[i].length; j++) {
                    double x = values[i][j];
                    double h = STEP * Math.max(1.0, Math.abs(x));
                    values[i][j] = x + h;
                    double up = evaluate(f, inputs, values);
                    values[i][j] = x - h;
                    double down = evaluate(f, inputs, values);
                    values[i][j] = x;
                    // Divide by the step actually taken, which x ± h rounds.
                    grads[i][j] = (up - down) / ((x + h) - (x - h));
                }
            }
        } finally {
            noGrad.close();
        }
        return grads;
    }

    private static double evaluate(Function<Tensor[], Tensor> f, Tensor[] like, double[][] values) {
        Tensor[] args = new Tensor[like.length];
        for (int i = 0; i < like.length; i++) {
            args[i] = Tensor.wrap(like[i].backend().of(values[i], DType.FLOAT64), like[i].shape());
        }
        return f.apply(args).item();
    }
}
