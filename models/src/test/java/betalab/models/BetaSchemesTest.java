package betalab.models;

import static betalab.models.Pairs.REGISTRY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
        var schemes = REGISTRY.providers(BetaEstimator.POINT);
        assertThat(schemes).containsOnlyKeys("fixed", "learnable_scalar", "softplus_mlp", "policy_mlp", "ppl_scaled",
                "beta_dpo_batch", "beta_dpo_instance", "beta_schedule", "kl_controller", "mallows_dispersion", "epsilon_dpo");
        schemes.values().forEach(p -> assertThat(p.description()).isNotBlank().doesNotContain("\n"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"fixed", "learnable_scalar", "softplus_mlp", "policy_mlp", "ppl_scaled",
            "beta_dpo_batch", "beta_dpo_instance", "beta_schedule", "kl_controller"})
    void everySchemeGivesOnePositiveBetaPerPair(String name) {
        BetaEstimator beta = Pairs.create(name, Map.of(), Pairs.context(2));
        for (Tensor b : List.of(beta.beta(Pairs.full()), beta.train(Pairs.full()).beta())) {
            assertThat(b.shape()).containsExactly(4);
            assertThat(Arrays.stream(b.toDoubleArray()).min().orElseThrow()).isPositive();
        }
    }

    @ParameterizedTest
    @CsvSource({"learnable_scalar, parametrization, sigmoid", "learnable_scalar, init, 0",
            "policy_mlp, hidden, 0", "policy_mlp, activation, gelu", "ppl_scaled, epsilon, 1",
            "ppl_scaled, input, tokens", "ppl_scaled, beta0, -0.1", "beta_dpo_batch, alpha, -0.5",
            "beta_dpo_batch, momentum, 1", "beta_dpo_instance, mode_weight, 1", "beta_dpo_instance, beta0, 0",
            "beta_dpo_instance, filter, maybe"})
    void badKnobsAreRefusedByName(String scheme, String knob, String value) {
        assertThatThrownBy(() -> Pairs.create(scheme, Map.of(knob, value), Pairs.context(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'" + knob + "'");
    }

    @Test
    void fixedBetaIsConstantAndRejectsNonPositive() {
        assertThat(new FixedBeta(0.25).beta(batch(null)).toDoubleArray()).containsExactly(0.25, 0.25, 0.25);
        assertThat(new FixedBeta(0.25).parameters()).isEmpty();
        assertThatThrownBy(() -> new FixedBeta(0)).hasMessageContaining("beta");
        assertThatThrownBy(() -> Pairs.create("fixed", Map.of("beta", -1), CONTEXT))
                .hasMessageContaining("'beta'").hasMessageContaining("> 0");
    }

    @Test
    void softplusMlpBetaIsPositiveAndHasTheConfiguredLayers() {
        BetaEstimator beta = Pairs.create("softplus_mlp", Map.of("hidden", List.of(4, 3),
                "activation", "tanh"), CONTEXT);
        double[] values = beta.beta(batch(X)).toDoubleArray();
        assertThat(values).hasSize(3);
        assertThat(Arrays.stream(values).min().orElseThrow()).isPositive();
        // 2→4→3→1: three weights and three biases
        assertThat(beta.parameters()).hasSize(6);
    }

    @Test
    void softplusMlpBetaGradientsMatchFiniteDifferences() {
        BetaEstimator module = Pairs.create("softplus_mlp", Map.of("hidden", List.of(3), "activation", "relu"),
                new BetaEstimator.Context(2, 0, new TorchRng(5), DType.FLOAT64));
        assertThat(module.namedParameters()).containsOnlyKeys("head.mlp.layer0.weight", "head.mlp.layer0.bias",
                "head.mlp.layer1.weight", "head.mlp.layer1.bias");
        module.beta(batch(X)).mul(batch(X).margin()).sum().backward();
        Pairs.assertGradientsMatch(module.parameters(), t -> Pairs.softplusHead(X, t).mul(batch(X).margin()).sum());
    }

    /** What TRL-named metrics are logged with: the scheme's own configured β, else TRL's 0.1. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            fixed             | beta=0.3                   | 0.3
            learnable_scalar  | init=0.05                  | 0.05
            ppl_scaled        | beta0=0.2                  | 0.2
            beta_dpo_batch    | beta0=0.4                  | 0.4
            beta_dpo_instance | beta0=0.7;beta_penalty=0.1 | 0.7
            softplus_mlp      | beta_penalty=0.1           | 0.1
            policy_mlp        | detach=true                | 0.1
            """)
    void baseBetaIsTheSchemesConfiguredBeta(String scheme, String knobs, double base) {
        Map<String, String> given = new java.util.HashMap<>();
        for (String kv : knobs.split(";")) {
            given.put(kv.split("=")[0], kv.split("=")[1]);
        }
        assertThat(Pairs.create(scheme, given, Pairs.context(1)).baseBeta()).isEqualTo(base);
    }

    @Test
    void softplusMlpBetaNeedsFeatures() {
        BetaEstimator beta = Pairs.create("softplus_mlp", Map.of(), CONTEXT);
        assertThatThrownBy(() -> beta.beta(batch(null))).hasMessageContaining("features");
        assertThatThrownBy(() -> Pairs.create("softplus_mlp", Map.of(),
                new BetaEstimator.Context(0, 3, new TorchRng(1), DType.FLOAT64))).hasMessageContaining("features");
    }
}
