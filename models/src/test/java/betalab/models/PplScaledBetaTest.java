package betalab.models;

import static betalab.models.Pairs.MARGIN;
import static betalab.models.Pairs.PROMPT_LENGTH;
import static betalab.models.Pairs.PROMPT_LOGPS;
import static betalab.models.Pairs.REPRESENTATION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.random.TorchRng;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PplScaledBetaTest {
    private static final double EPSILON = 0.3;

    private static PplScaledBeta scheme(Map<String, Object> knobs) {
        return (PplScaledBeta) Pairs.create("ppl_scaled", knobs, Pairs.context(4));
    }

    private static double[] perplexity() {
        return PROMPT_LOGPS.div(PROMPT_LENGTH).neg().exp().toDoubleArray();
    }

    @Test
    void startsWithWAtBeta0() {
        PplScaledBeta beta = scheme(Map.of("beta0", 0.25));
        assertThat(beta.w().toDoubleArray()).containsExactly(0.25);
        // w, then the default head 3 → 16 → 1
        assertThat(beta.parameters()).hasSize(5);
        assertThat(beta.parameters().get(1).shape()).containsExactly(16, 3);
    }

    /** A representation 50 times larger saturates tanh, pushing β to the edges of the band. */
    @ParameterizedTest
    @ValueSource(doubles = {1, 50})
    void staysWithinEpsilonOfAbsWTimesPerplexity(double scale) {
        PplScaledBeta beta = scheme(Map.of("epsilon", EPSILON, "hidden", List.of(5)));
        beta.w().copyInPlace(Pairs.vector(-0.2));
        double[] b = beta.beta(Pairs.batch(REPRESENTATION.mul(scale), PROMPT_LOGPS)).toDoubleArray();
        double[] ppl = perplexity();
        double farthest = 0;
        for (int i = 0; i < b.length; i++) {
            double ratio = b[i] / (0.2 * ppl[i]);
            assertThat(ratio).as("pair %d", i).isBetween(1 - EPSILON - 1e-12, 1 + EPSILON + 1e-12);
            farthest = Math.max(farthest, Math.abs(ratio - 1));
        }
        if (scale > 1) {
            assertThat(farthest).isCloseTo(EPSILON, within(1e-6));
        }
    }

    @Test
    void gradientsReachWTheHeadTheRepresentationAndThePromptLogProbabilities() {
        PplScaledBeta beta = scheme(Map.of("epsilon", EPSILON, "hidden", List.of(5), "beta0", 0.3));
        Tensor representation = REPRESENTATION.asParameter();
        Tensor promptLogps = PROMPT_LOGPS.asParameter();
        beta.beta(Pairs.batch(representation, promptLogps)).mul(MARGIN).sum().backward();
        List<Tensor> inputs = new ArrayList<>(beta.parameters());
        inputs.add(representation);
        inputs.add(promptLogps);
        // |w| · exp(−log πθ(x)/|x|) · (1 + ε·tanh(W2·relu(W1·h + b1) + b2)), written out
        Pairs.assertGradientsMatch(inputs, t -> {
            Tensor head = t[5].matmulTransposed(t[1]).add(t[2]).relu().matmulTransposed(t[3]).add(t[4]).flatten();
            Tensor ppl = t[6].div(PROMPT_LENGTH).neg().exp();
            return t[0].abs().mul(ppl).mul(head.tanh().mul(EPSILON).add(1.0)).mul(MARGIN).sum();
        });
    }

    @Test
    void canReadFeaturesInstead() {
        PplScaledBeta beta = scheme(Map.of("input", "features", "hidden", List.of(5)));
        assertThat(beta.parameters().get(1).shape()).containsExactly(5, 2);
        PreferenceBatch noRepresentation = Pairs.batch(null, PROMPT_LOGPS);
        double[] b = beta.beta(noRepresentation).toDoubleArray();
        assertThat(b).hasSize(4);
        assertThat(Arrays.stream(b).min().orElseThrow()).isPositive();
    }

    @Test
    void failsClearlyWithoutItsInputs() {
        PplScaledBeta beta = scheme(Map.of());
        assertThatThrownBy(() -> beta.beta(Pairs.batch(REPRESENTATION, null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("promptLogps");
        assertThatThrownBy(() -> beta.beta(Pairs.batch(null, PROMPT_LOGPS)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("representation");
        BetaEstimator.Context featuresOnly = new BetaEstimator.Context(2, 0, new TorchRng(1), DType.FLOAT64);
        assertThatThrownBy(() -> Pairs.create("ppl_scaled", Map.of(), featuresOnly))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ppl_scaled")
                .hasMessageContaining("representation");
    }
}
