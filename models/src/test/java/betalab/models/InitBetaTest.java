package betalab.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** init_beta: learnable schemes that start at a given β whatever the input (so LearnableBetaDPO starts as DPO). */
class InitBetaTest {

    @ParameterizedTest
    @CsvSource({"softplus_mlp, 0.1", "policy_mlp, 0.1", "softplus_mlp, 0.69", "policy_mlp, 3.0", "softplus_mlp, 1e-4"})
    void startsAtInitBetaForEveryInput(String name, double initBeta) {
        for (List<Integer> hidden : List.of(List.of(10), List.of(4, 3))) {
            BetaEstimator beta = Pairs.create(name, Map.of("init_beta", initBeta, "hidden", hidden), Pairs.context(5));
            assertThat(beta.beta(Pairs.full()).toDoubleArray()).hasSize(4)
                    .containsOnly(new double[] {initBeta}, within(initBeta * 1e-14));
            assertThat(beta.baseBeta()).isEqualTo(initBeta);
        }
    }

    /** The head still learns: the last layer's weights get a gradient from the first step. */
    @ParameterizedTest
    @ValueSource(strings = {"softplus_mlp", "policy_mlp"})
    void theLastLayerGetsAGradientAtTheStart(String name) {
        BetaEstimator beta = Pairs.create(name, Map.of("init_beta", 0.1), Pairs.context(5));
        beta.beta(Pairs.full()).mul(Pairs.vector(1, -2, 0.5, 3)).sum().backward();
        Tensor lastWeight = beta.namedParameters().get("head.mlp.layer1.weight");
        assertThat(lastWeight.toDoubleArray()).containsOnly(0.0);
        assertThat(Arrays.stream(lastWeight.grad().toDoubleArray()).anyMatch(g -> g != 0)).isTrue();
    }

    /** 0, the default, keeps the random initialisation: β differs between inputs, as before the knob. */
    @ParameterizedTest
    @ValueSource(strings = {"softplus_mlp", "policy_mlp"})
    void zeroKeepsTheRandomStart(String name) {
        BetaEstimator beta = Pairs.create(name, Map.of(), Pairs.context(5));
        assertThat(Arrays.stream(beta.beta(Pairs.full()).toDoubleArray()).distinct().count()).isEqualTo(4);
        assertThat(beta.baseBeta()).isEqualTo(BetaEstimator.TRL_DEFAULT_BETA);
    }

    /** ppl_scaled: w = init_beta and tanh(NN) = 0, so β = init_beta·exp(−log πθ(x)/|x|) for each prompt. */
    @org.junit.jupiter.api.Test
    void pplScaledStartsAtInitBetaTimesPerplexity() {
        BetaEstimator beta = Pairs.create("ppl_scaled", Map.of("init_beta", 0.2, "beta0", 0.7), Pairs.context(5));
        PreferenceBatch batch = Pairs.full();
        double[] logps = Pairs.PROMPT_LOGPS.toDoubleArray();
        double[] lengths = Pairs.PROMPT_LENGTH.toDoubleArray();
        double[] b = beta.beta(batch).toDoubleArray();
        for (int i = 0; i < 4; i++) {
            assertThat(b[i]).isCloseTo(0.2 * Math.exp(-logps[i] / lengths[i]), within(1e-12 * b[i]));
        }
        assertThat(beta.baseBeta()).isEqualTo(0.2);
        BetaEstimator random = Pairs.create("ppl_scaled", Map.of("beta0", 0.2), Pairs.context(5));
        assertThat(random.beta(batch).toDoubleArray()[0]).as("a random head moves β off the plain product")
                .isNotCloseTo(0.2 * Math.exp(-logps[0] / lengths[0]), within(1e-9));
    }
}
