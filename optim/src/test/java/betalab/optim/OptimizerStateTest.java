package betalab.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.optim.Optimizer;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Saving an optimizer's state mid-run and restoring it into a fresh one changes nothing. */
class OptimizerStateTest {
    private static final Registry REGISTRY = OptimizerGoldenTest.registry();
    private static final double[][] GRADS = OptimizerGoldenTest.grads();
    private static final double[] INITIAL = {0.5, -1.2, 3.0, 0.0, -0.3, 2.2};

    private static Optimizer optimizer(String name, Tensor p) {
        Map<String, Object> knobs = name.equals("sgd") ? Map.of("momentum", 0.9, "weight_decay", 0.01)
                : Map.of("lr", 0.01, "weight_decay", 0.1);
        return REGISTRY.create(Optimizer.POINT, name, knobs, List.of(p));
    }

    private static void run(Optimizer optimizer, Tensor p, int from, int to) {
        for (int t = from; t < to; t++) {
            p.mul(Tensor.of(DType.FLOAT64, GRADS[t], 6)).sum().backward();
            optimizer.step();
            optimizer.zeroGrad();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"adam", "adamw", "sgd"})
    void resumingFromSavedStateEqualsNeverStopping(String name) {
        Tensor straight = Tensor.of(DType.FLOAT64, INITIAL, 6).asParameter();
        run(optimizer(name, straight), straight, 0, 12);

        Tensor first = Tensor.of(DType.FLOAT64, INITIAL, 6).asParameter();
        Optimizer before = optimizer(name, first);
        run(before, first, 0, 5);
        Map<String, double[]> saved = before.state();

        Tensor resumed = Tensor.of(DType.FLOAT64, first.toDoubleArray(), 6).asParameter();
        Optimizer after = optimizer(name, resumed);
        after.loadState(saved);
        run(after, resumed, 5, 12);

        assertThat(resumed.toDoubleArray()).containsExactly(straight.toDoubleArray());
    }

    @ParameterizedTest
    @ValueSource(strings = {"adam", "sgd"})
    void aStateOfTheWrongSizeIsRefusedNamingTheEntry(String name) {
        Tensor p = Tensor.of(DType.FLOAT64, INITIAL, 6).asParameter();
        Optimizer optimizer = optimizer(name, p);
        run(optimizer, p, 0, 1);
        Map<String, double[]> saved = new java.util.HashMap<>(optimizer.state());
        String entry = saved.keySet().stream().filter(k -> !k.endsWith("step")).findFirst().orElseThrow();
        saved.put(entry, new double[3]);
        assertThatThrownBy(() -> optimizer(name, p).loadState(saved)).hasMessageContaining(entry);
    }
}
