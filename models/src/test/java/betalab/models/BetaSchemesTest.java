package betalab.models;

import static betalab.models.Pairs.REGISTRY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.nn.Activation;
import betalab.api.nn.Mlp;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.random.TorchRng;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class BetaSchemesTest {
    private static final BetaEstimator.Context CONTEXT =
            new BetaEstimator.Context(2, 0, new TorchRng(1), DType.FLOAT64);

    private static PreferenceBatch batch(Tensor features) {
        return PreferenceBatch.ofMargins(Tensor.of(DType.FLOAT64, new double[] {0.5, -1.0, 2.0}, 3), features);
    }

    private static final Tensor X = Tensor.of(DType.FLOAT64, new double[] {0.3, -1.2, 0.8, 0.1, -0.4, 2.0}, 3, 2);

    @Test
    void everySchemeIsBound() {
        assertThat(REGISTRY.betaEstimators()).containsOnlyKeys("fixed", "learnable_scalar", "softplus_mlp",
                "policy_mlp", "ppl_scaled", "beta_dpo_batch", "beta_dpo_instance");
        REGISTRY.betaEstimators().values().forEach(p -> assertThat(p.description()).isNotBlank().doesNotContain("\n"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"fixed", "learnable_scalar", "softplus_mlp", "policy_mlp", "ppl_scaled",
            "beta_dpo_batch", "beta_dpo_instance"})
    void everySchemeGivesOnePositiveBetaPerPair(String name) {
        BetaEstimator beta = REGISTRY.betaEstimator(name, Map.of(), Pairs.context(2));
        for (Tensor b : List.of(beta.beta(Pairs.full()), beta.train(Pairs.full()).beta())) {
            assertThat(b.shape()).containsExactly(4);
            assertThat(Arrays.stream(b.toDoubleArray()).min().orElseThrow()).isPositive();
        }
    }

    @ParameterizedTest
    @CsvSource({"learnable_scalar, parametrization, sigmoid", "learnable_scalar, init, 0",
            "policy_mlp, hidden, 0", "policy_mlp, activation, gelu", "ppl_scaled, epsilon, 1",
            "ppl_scaled, input, tokens", "ppl_scaled, beta0, -0.1", "beta_dpo_batch, alpha, 1.5",
            "beta_dpo_batch, momentum, 1", "beta_dpo_instance, rho, 0", "beta_dpo_instance, beta0, 0",
            "beta_dpo_instance, filter, maybe"})
    void badKnobsAreRefusedByName(String scheme, String knob, String value) {
        assertThatThrownBy(() -> REGISTRY.betaEstimator(scheme, Map.of(knob, value), Pairs.context(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'" + knob + "'");
    }

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
        assertThat(Arrays.stream(values).min().orElseThrow()).isPositive();
        // 2→4→3→1: three weights and three biases
        assertThat(beta.parameters()).hasSize(6);
    }

    @Test
    void softplusMlpBetaGradientsMatchFiniteDifferences() {
        SoftplusMlpBeta module = new SoftplusMlpBeta(new Mlp(2, new int[] {3}, 1, Activation.RELU, new TorchRng(5),
                DType.FLOAT64));
        module.beta(batch(X)).mul(batch(X).margin()).sum().backward();
        Pairs.assertGradientsMatch(module.parameters(), t -> Pairs.softplusHead(X, t).mul(batch(X).margin()).sum());
    }

    @Test
    void softplusMlpBetaNeedsFeatures() {
        BetaEstimator beta = REGISTRY.betaEstimator("softplus_mlp", Map.of(), CONTEXT);
        assertThatThrownBy(() -> beta.beta(batch(null))).hasMessageContaining("features");
        assertThatThrownBy(() -> REGISTRY.betaEstimator("softplus_mlp", Map.of(),
                new BetaEstimator.Context(0, 3, new TorchRng(1), DType.FLOAT64))).hasMessageContaining("features");
    }
}
