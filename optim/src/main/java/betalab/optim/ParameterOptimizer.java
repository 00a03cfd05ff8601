package betalab.optim;

import betalab.api.Stateful;
import betalab.api.optim.Optimizer;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * What the optimizers here share with {@code torch.optim.Optimizer}: a fixed parameter list, an
 * update of each parameter on its own, parameters without a gradient left alone, and no graph.
 */
abstract class ParameterOptimizer implements Optimizer {
    private final List<Tensor> parameters;

    ParameterOptimizer(List<Tensor> parameters) {
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException("optimizer got an empty parameter list");
        }
        this.parameters = List.copyOf(parameters);
    }

    int parameterCount() {
        return parameters.size();
    }

    Tensor parameter(int index) {
        return parameters.get(index);
    }

    /** A zero tensor like parameter {@code index}, holding the saved entry {@code name}. */
    Tensor restored(Map<String, double[]> state, int index, String name) {
        Tensor p = parameters.get(index);
        return p.zerosLike().copyInPlace(Stateful.entry(state, index + "." + name, p.size()));
    }

    /** A learning rate a schedule sets: 0 (a warm-up's first step) or more, finite. */
    static double checkedRate(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("a learning rate must be ≥ 0 and finite, got " + lr);
        }
        return lr;
    }

    /** Updates parameter {@code index} in place from its gradient, which must not be written. */
    abstract void update(int index, Tensor parameter, Tensor grad);

    @Override
    @SuppressWarnings("try") // the scope only switches recording off
    public final void step() {
        try (Tensor.NoGrad scope = Tensor.noGrad()) {
            for (int i = 0; i < parameters.size(); i++) {
                Tensor p = parameters.get(i);
                Tensor g = p.grad();
                if (g != null) {
                    update(i, p, g);
                }
            }
        }
    }

    @Override
    public final void zeroGrad() {
        parameters.forEach(Tensor::zeroGrad);
    }
}
