package betalab.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.policy.Policy;
import betalab.api.random.JavaRng;
import betalab.api.random.TorchRng;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.testkit.GradientCheck;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PoliciesTest {
    private static final Registry REGISTRY = Registry.of(List.of(new PoliciesExtension()));
    private static final Policy.Context CONTEXT = new Policy.Context(3, 4, new TorchRng(2), DType.FLOAT64);
    private static final Tensor X = Tensor.of(DType.FLOAT64, new JavaRng(1).normal(6), 2, 3);
    private static final Tensor Y = Tensor.of(DType.FLOAT64, new JavaRng(2).normal(2 * 5 * 4), 2, 5, 4);

    @Test
    void logLinearLogProbsAreTheSoftmaxOfWxDotY() {
        Policy policy = REGISTRY.policy("log_linear", Map.of(), CONTEXT);
        double[] w = policy.parameters().get(0).toDoubleArray();
        double[] x = X.toDoubleArray();
        double[] y = Y.toDoubleArray();
        double[] logps = Policy.logProbs(policy.encode(X), Y).toDoubleArray();
        for (int i = 0; i < 2; i++) {
            double[] scores = new double[5];
            double norm = 0;
            for (int k = 0; k < 5; k++) {
                for (int d = 0; d < 4; d++) {
                    double wx = 0;
                    for (int j = 0; j < 3; j++) {
                        wx += w[d * 3 + j] * x[i * 3 + j];
                    }
                    scores[k] += wx * y[(i * 5 + k) * 4 + d];
                }
                norm += Math.exp(scores[k]);
            }
            for (int k = 0; k < 5; k++) {
                assertThat(logps[i * 5 + k]).isCloseTo(scores[k] - Math.log(norm), within(1e-12));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"log_linear", "mlp"})
    void logProbGradientsMatchFiniteDifferences(String name) {
        Policy policy = REGISTRY.policy(name, Map.of(), CONTEXT);
        int[] picked = {1, 8};
        List<Tensor> parameters = policy.parameters();
        Policy.logProbs(policy.encode(X), Y).gather(picked).sum().backward();
        double[][] numeric = GradientCheck.finiteDifferences(values -> {
            policy.loadState(stateOf(policy, values));
            return Policy.logProbs(policy.encode(X), Y).gather(picked).sum();
        }, parameters.stream().map(Tensor::detach).toArray(Tensor[]::new));
        for (int i = 0; i < parameters.size(); i++) {
            assertThat(parameters.get(i).grad().toDoubleArray()).as("%s parameter %d", name, i)
                    .containsExactly(numeric[i], within(1e-6));
        }
    }

    /** The policy's state with its parameters replaced by these values, in order. */
    private static Map<String, double[]> stateOf(Policy policy, Tensor[] values) {
        Map<String, double[]> state = new java.util.LinkedHashMap<>();
        int i = 0;
        for (String name : policy.state().keySet()) {
            state.put(name, values[i++].toDoubleArray());
        }
        return state;
    }

    @Test
    void aCopyThroughStateIsTheSamePolicy() {
        Policy a = REGISTRY.policy("mlp", Map.of("hidden", List.of(6)), CONTEXT);
        Policy b = REGISTRY.policy("mlp", Map.of("hidden", List.of(6)),
                new Policy.Context(3, 4, new TorchRng(99), DType.FLOAT64));
        b.loadState(a.state());
        assertThat(b.encode(X).toDoubleArray()).containsExactly(a.encode(X).toDoubleArray());
    }
}
