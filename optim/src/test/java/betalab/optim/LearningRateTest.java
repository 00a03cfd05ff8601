package betalab.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.optim.Optimizer;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A learning rate set between steps (what a schedule does) is the one every later update uses,
 * checked against torch.optim's update rules written out in plain doubles with that rate per step.
 */
class LearningRateTest {
    private static final double[] INITIAL = {0.5, -1.2, 3.0, 0.0, -0.3, 2.2};
    /** The rate of each step: a warm-up's 0 first, then changing every step. */
    private static final double[] RATES = {0.0, 0.01, 0.03, 0.02, 0.005};

    private final Registry registry = OptimizerGoldenTest.registry();

    @ParameterizedTest
    @ValueSource(strings = {"adam", "adamw"})
    void adamUsesTheRateSetBeforeEachStep(String name) {
        double beta1 = 0.9;
        double beta2 = 0.999;
        double eps = 1e-8;
        double wd = 0.1;
        Tensor p = Tensor.of(DType.FLOAT64, INITIAL, 6).asParameter();
        Optimizer adam = registry.create(Optimizer.POINT, name, Map.of("lr", 0.5, "weight_decay", wd), List.of(p));
        double[] expected = INITIAL.clone();
        double[] m = new double[6];
        double[] v = new double[6];
        double[][] grads = OptimizerGoldenTest.grads();
        for (int t = 1; t <= RATES.length; t++) {
            double lr = RATES[t - 1];
            double[] g = grads[t - 1];
            adam.learningRate(lr);
            assertThat(adam.learningRate()).isEqualTo(lr);
            p.backward(Tensor.of(DType.FLOAT64, g, 6));
            adam.step();
            adam.zeroGrad();
            for (int i = 0; i < 6; i++) {
                double gi = g[i];
                if (name.equals("adamw")) {
                    expected[i] *= 1 - lr * wd;
                } else {
                    gi += wd * expected[i];
                }
                m[i] = beta1 * m[i] + (1 - beta1) * gi;
                v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
                double denominator = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(beta2, t)) + eps;
                expected[i] -= lr / (1 - Math.pow(beta1, t)) * m[i] / denominator;
            }
            assertClose(p.toDoubleArray(), expected);
        }
    }

    @Test
    void sgdWithMomentumUsesTheRateSetBeforeEachStep() {
        double momentum = 0.9;
        double wd = 0.05;
        Tensor p = Tensor.of(DType.FLOAT64, INITIAL, 6).asParameter();
        Optimizer sgd = registry.create(Optimizer.POINT, "sgd", Map.of("lr", 0.5, "momentum", momentum,
                "weight_decay", wd), List.of(p));
        double[] expected = INITIAL.clone();
        double[] buffer = null;
        double[][] grads = OptimizerGoldenTest.grads();
        for (int t = 0; t < RATES.length; t++) {
            sgd.learningRate(RATES[t]);
            p.backward(Tensor.of(DType.FLOAT64, grads[t], 6));
            sgd.step();
            sgd.zeroGrad();
            double[] d = new double[6];
            for (int i = 0; i < 6; i++) {
                d[i] = grads[t][i] + wd * expected[i];
            }
            if (buffer == null) {
                buffer = d;
            } else {
                for (int i = 0; i < 6; i++) {
                    buffer[i] = momentum * buffer[i] + d[i];
                }
            }
            for (int i = 0; i < 6; i++) {
                expected[i] -= RATES[t] * buffer[i];
            }
            assertClose(p.toDoubleArray(), expected);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "adam", "adamw"})
    void aNegativeOrNonFiniteRateIsRefused(String name) {
        Optimizer optimizer = registry.create(Optimizer.POINT, name, Map.of(),
                List.of(Tensor.of(DType.FLOAT64, INITIAL, 6).asParameter()));
        for (double bad : new double[] {-1e-3, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> optimizer.learningRate(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("learning rate must be ≥ 0 and finite");
        }
    }

    private static void assertClose(double[] actual, double[] expected) {
        for (int i = 0; i < actual.length; i++) {
            assertThat(actual[i]).isCloseTo(expected[i], Offset.offset(1e-12));
        }
    }
}
