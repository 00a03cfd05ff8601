package betalab.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * mallows_dispersion by hand, V = 4 (log 4 = 1.3862943611198906), β₀ = 0.2, c = 0.29:
 * β = 0.2·0.29·max(−log(H/log 4), 1e-3) with H the per-token entropy.
 */
class MallowsDispersionBetaTest {
    private static final double LOG4 = 1.3862943611198906;

    private static BetaEstimator scheme(String source) {
        return Pairs.create("mallows_dispersion", Map.of("beta0", 0.2, "scale", 0.29, "vocabulary", 4, "source",
                source), Pairs.context(1));
    }

    /** −H of a distribution, as the bandit policy writes it into promptLogps. */
    private static double negEntropy(double... p) {
        double s = 0;
        for (double q : p) {
            s += q * Math.log(q);
        }
        return s;
    }

    /**
     * Three prompts: π = (0.7, 0.1, 0.1, 0.1), H = 0.94044799 nats, ē = 0.67838982, φ = 0.38803319 (|x| = 1); the same
     * entropy summed over |x| = 2 tokens; π uniform, ē = 1, φ = 0 held at 1e-3.
     */
    @Test
    void promptEntropyByHand() {
        double h = 0.7 * 0.35667494393873245 + 0.3 * 2.302585092994046; // −Σ p log p, logs from a table
        assertThat(-negEntropy(0.7, 0.1, 0.1, 0.1)).isCloseTo(h, within(1e-15));
        Tensor promptLogps = Pairs.vector(-h, -2 * h, negEntropy(0.25, 0.25, 0.25, 0.25));
        Tensor zero = Pairs.vector(0, 0, 0);
        PreferenceBatch batch = PreferenceBatch.of(Pairs.vector(1, -2, 0.5), zero, zero, zero)
                .prompt(promptLogps, Pairs.vector(1, 2, 1)).build();
        double concentrated = 0.058 * -Math.log(h / LOG4);
        assertThat(-Math.log(h / LOG4)).isCloseTo(0.38803319, within(1e-8));
        BetaEstimator s = scheme("prompt");
        assertThat(s.beta(batch).toDoubleArray())
                .containsExactly(new double[] {concentrated, concentrated, 0.058e-3}, within(1e-15));
        assertThat(s.train(batch).beta().toDoubleArray()).containsExactly(s.beta(batch).toDoubleArray());
        assertThat(s.baseBeta()).isEqualTo(0.2);
    }

    /**
     * log πθ(y_w) = −3 over 2 tokens and log πθ(y_l) = −1 over 1: surprisal 1.5 and 1, mean 1.25,
     * ē = 1.25/log 4 = 0.90168, φ = 0.10349071; a second pair with surprisal 0.1 and 0.3, ē = 0.2/log 4.
     */
    @Test
    void completionSurprisalByHand() {
        PreferenceBatch batch = PreferenceBatch.of(Pairs.vector(-3, -0.1), Pairs.vector(-1, -0.6),
                Pairs.vector(-5, -5), Pairs.vector(-5, -5)).lengths(Pairs.vector(2, 1), Pairs.vector(1, 2)).build();
        double[] beta = scheme("completions").beta(batch).toDoubleArray();
        assertThat(beta[0]).isCloseTo(0.058 * 0.10349071, within(1e-9));
        assertThat(beta[1]).isCloseTo(0.058 * -Math.log(0.2 / LOG4), within(1e-15));
    }

    /** No gradient reaches the policy through the entropy, as the authors read it under no_grad. */
    @Test
    void betaIsDetached() {
        Tensor logps = Pairs.vector(-1.0, -2.0).asParameter();
        Tensor zero = Pairs.vector(0, 0);
        PreferenceBatch batch = PreferenceBatch.of(Pairs.vector(1, 1), zero, zero, zero)
                .prompt(logps, Pairs.vector(1, 1)).build();
        assertThat(scheme("prompt").beta(batch).requiresGrad()).isFalse();
    }

    @Test
    void refusesAMissingVocabularyOrPrompt() {
        assertThatThrownBy(() -> Pairs.create("mallows_dispersion", Map.of(), Pairs.context(1)))
                .hasMessageContaining("'vocabulary'");
        assertThatThrownBy(() -> scheme("prompt").beta(Pairs.margins(1, 2)))
                .hasMessageContaining("promptLogps");
    }
}
