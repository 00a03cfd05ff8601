package betalab.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.nn.Activation;
import betalab.api.nn.Mlp;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.random.TorchRng;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.GradientCheck;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BetaSchemesTest {
    private static final Registry REGISTRY = Registry.of(List.of(new BetaSchemesExtension()));
    private static final BetaEstimator.Context CONTEXT =
            new BetaEstimator.Context(2, 0, new TorchRng(1), DType.FLOAT64);

    private static PreferenceBatch batch(Tensor features) {
        return PreferenceBatch.ofMargins(Tensor.of(DType.FLOAT64, new double[] {0.5, -1.0, 2.0}, 3), features);
    }

    private static final Tensor X = Tensor.of(DType.FLOAT64, new double[] {0.3, -1.2, 0.8, 0.1, -0.4, 2.0}, 3, 2);

    @Test
    void fixedBetaIsConstantAndRejectsNonPositive() {
        assertThat(new FixedBeta(0.25).beta(batch(null)).toDoubleArray()).containsExactly(0.25, 0.25, 0.25);
        assertThat(new FixedBeta(0.25).parameters()).isEmpty();
        assertThatThrownBy(() -> new FixedBeta(0)).hasMessageContaining("beta");
        assertThatThrownBy(() -> REGISTRY.betaEstimator("fixed", Map.of("beta", -1), CONTEXT))
                .hasMessageContaining("'beta'").hasMessageContaining("> 0");
    }

    @Test
    void softplusMlpBetaIsPositiveAndHasTheConfiguredLayers() {
        BetaEstimator beta = REGISTRY.betaEstimator("softplus_mlp", Map.of("hidden", List.of(4, 3),
                "activation", "tanh"), CONTEXT);
        double[] values = beta.beta(batch(X)).toDoubleArray();
        assertThat(values).hasSize(3);
        assertThat(java.util.Arrays.stream(values).min().orElseThrow()).isPositive();
        // 2→4→3→1: three weights and three biases
        assertThat(beta.parameters()).hasSize(6);
    }

    /** softplus(W2·relu(W1·x + b1) + b2)·Δ summed: the network written out independently of Mlp. */
    private static Tensor reference(Tensor[] t) {
        Tensor hidden = X.matmulTransposed(t[0]).add(t[1]).relu();
        return hidden.matmulTransposed(t[2]).add(t[3]).softplus().flatten().mul(batch(X).margin()).sum();
    }

    @Test
    void softplusMlpBetaGradientsMatchFiniteDifferences() {
        SoftplusMlpBeta module = new SoftplusMlpBeta(new Mlp(2, new int[] {3}, 1, Activation.RELU, new TorchRng(5),
                DType.FLOAT64));
        List<Tensor> p = module.parameters();
        module.beta(batch(X)).mul(batch(X).margin()).sum().backward();
        double[][] expected = GradientCheck.finiteDifferences(BetaSchemesTest::reference, p.toArray(new Tensor[0]));
        for (int i = 0; i < p.size(); i++) {
            assertThat(p.get(i).grad().toDoubleArray()).as("parameter %d", i)
                    .containsExactly(expected[i], within(1e-6));
        }
    }

    @Test
    void softplusMlpBetaNeedsFeatures() {
        BetaEstimator beta = REGISTRY.betaEstimator("softplus_mlp", Map.of(), CONTEXT);
        assertThatThrownBy(() -> beta.beta(batch(null))).hasMessageContaining("features");
    }
}
