package betalab.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.optim.Optimizer;
import betalab.api.registry.Extensions;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OptimizersTest {
    private static final double[] INITIAL = {0.5, -1.2, 3.0, 0.0, -0.3, 2.2};

    private final Registry registry = OptimizerGoldenTest.registry();

    @Test
    void extensionBindsSgdAdamAndAdamwWithTorchDefaults() {
        assertThat(registry.providers(Optimizer.POINT)).containsOnlyKeys("sgd", "adam", "adamw");
        assertThat(registry.providers(Optimizer.POINT).values())
                .allSatisfy(p -> assertThat(p.description()).isNotBlank());
        assertThat(defaults("adam")).containsExactly(Map.entry("lr", 1e-3), Map.entry("beta1", 0.9),
                Map.entry("beta2", 0.999), Map.entry("eps", 1e-8), Map.entry("weight_decay", 0.0));
        assertThat(defaults("adamw")).containsEntry("weight_decay", 0.01);
        assertThat(defaults("sgd")).containsExactly(Map.entry("lr", 0.01), Map.entry("momentum", 0.0),
                Map.entry("dampening", 0.0), Map.entry("weight_decay", 0.0), Map.entry("nesterov", false));
    }

    @Test
    void discoveryFindsTheExtension() {
        assertThat(Extensions.discover()).anyMatch(e -> e instanceof OptimizersExtension);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "adam", "adamw"})
    void badKnobsAreRejectedByName(String name) {
        List<Tensor> ps = List.of(param());
        assertThatThrownBy(() -> registry.create(Optimizer.POINT, name, Map.of("lr", -1), ps))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'lr'");
        assertThatThrownBy(() -> registry.create(Optimizer.POINT, name, Map.of("learning_rate", 0.1), ps))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'learning_rate'");
        assertThatThrownBy(() -> registry.create(Optimizer.POINT, name, Map.of("weight_decay", -0.1), ps))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'weight_decay'");
    }

    @Test
    void adamBetasMustBeBelowOne() {
        assertThatThrownBy(() -> registry.create(Optimizer.POINT, "adam", Map.of("beta2", 1.0),
                List.of(param())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'beta2'");
    }

    @Test
    void nesterovNeedsMomentumAndNoDampening() {
        assertThatThrownBy(() -> registry.create(Optimizer.POINT, "sgd", Map.of("nesterov", true),
                List.of(param())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'nesterov'");
        assertThatThrownBy(() -> registry.create(Optimizer.POINT, "sgd", Map.of("nesterov", "true", "momentum", 0.9,
                "dampening", 0.1), List.of(param()))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'nesterov'");
    }

    @Test
    void emptyParameterListIsRejected() {
        assertThatThrownBy(() -> registry.create(Optimizer.POINT, "adam", Map.of(), List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty parameter list");
    }

    @Test
    void float32AdamStaysFloatAndCloseToFloat64() {
        Tensor p32 = Tensor.of(INITIAL, 6).asParameter();
        Tensor p64 = Tensor.of(DType.FLOAT64, INITIAL, 6).asParameter();
        Map<String, Object> knobs = Map.of("lr", 0.01, "weight_decay", 0.1);
        Optimizer adam32 = registry.create(Optimizer.POINT, "adam", knobs, List.of(p32));
        Optimizer adam64 = registry.create(Optimizer.POINT, "adam", knobs, List.of(p64));
        for (double[] g : OptimizerGoldenTest.grads()) {
            p32.backward(Tensor.of(g, 6));
            p64.backward(Tensor.of(DType.FLOAT64, g, 6));
            adam32.step();
            adam64.step();
            adam32.zeroGrad();
            adam64.zeroGrad();
            assertThat(p32.dtype()).isEqualTo(DType.FLOAT32);
            double[] v32 = p32.toDoubleArray();
            double[] v64 = p64.toDoubleArray();
            for (int i = 0; i < v32.length; i++) {
                assertThat(v32[i]).isEqualTo((double) (float) v32[i]);
                assertThat(v32[i]).isCloseTo(v64[i], Offset.offset(1e-5));
            }
        }
    }

    /** Weight decay and Nesterov work on copies: a gradient's storage may be shared with the graph. */
    @ParameterizedTest
    @ValueSource(strings = {"sgd", "adam"})
    void gradientsAreNeverWritten(String name) {
        Tensor p = param();
        Map<String, Object> knobs = name.equals("sgd")
                ? Map.of("momentum", 0.9, "nesterov", true, "weight_decay", 0.1) : Map.of("weight_decay", 0.1);
        Optimizer optimizer = registry.create(Optimizer.POINT, name, knobs, List.of(p));
        for (double[] g : OptimizerGoldenTest.grads()) {
            Tensor gradient = Tensor.of(DType.FLOAT64, g, 6);
            p.backward(gradient); // a leaf's grad is then this very storage
            optimizer.step();
            optimizer.zeroGrad();
            assertThat(gradient.toDoubleArray()).containsExactly(g);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "adam", "adamw"})
    void parametersWithoutGradientAreSkippedAndZeroGradClears(String name) {
        Tensor trained = param();
        Tensor idle = param();
        Map<String, Object> knobs = name.equals("sgd") ? Map.of("momentum", 0.9) : Map.of();
        Optimizer optimizer = registry.create(Optimizer.POINT, name, knobs, List.of(trained, idle));
        trained.backward(Tensor.of(DType.FLOAT64, OptimizerGoldenTest.grads()[0], 6));
        optimizer.step();
        assertThat(idle.toDoubleArray()).containsExactly(INITIAL);
        assertThat(trained.toDoubleArray()).isNotEqualTo(INITIAL);
        optimizer.zeroGrad();
        assertThat(trained.grad()).isNull();
    }

    private Map<String, Object> defaults(String name) {
        return registry.resolve(Optimizer.POINT, name, Map.of()).asMap();
    }

    private static Tensor param() {
        return Tensor.of(DType.FLOAT64, INITIAL, 6).asParameter();
    }
}
