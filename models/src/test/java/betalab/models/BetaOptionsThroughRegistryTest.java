package betalab.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.BetaEstimator;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The registry's detach and beta_penalty switches, applied to schemes of this module. */
class BetaOptionsThroughRegistryTest {

    @Test
    void detachKeepsTheValueAndTheParametersButCutsTheGradient() {
        BetaEstimator beta = Pairs.create("learnable_scalar", Map.of("detach", true), Pairs.context(1));
        BetaEstimator.Estimate e = beta.train(Pairs.full());
        assertThat(e.beta().requiresGrad()).isFalse();
        assertThat(e.beta().toDoubleArray()).containsOnly(0.1);
        assertThat(e.penalty()).isNull();
        assertThat(beta.parameters()).hasSize(1);
        assertThat(beta.beta(Pairs.full()).requiresGrad()).isFalse();
    }

    /** λ·mean((log β − log β_target)²) with β = softplus(w): d/dw = 2λ(log β − log β_target)·sigmoid(w)/β. */
    @Test
    void penaltyPullsTheLearnableScalarTowardTheTarget() {
        BetaEstimator beta = Pairs.create("learnable_scalar",
                Map.of("init", 0.1, "beta_penalty", 0.5, "beta_target", 0.2), Pairs.context(1));
        BetaEstimator.Estimate e = beta.train(Pairs.full());
        double gap = Math.log(0.1 / 0.2);
        assertThat(e.penalty().item()).isCloseTo(0.5 * gap * gap, within(1e-15));
        e.penalty().backward();
        double w = beta.parameters().get(0).item();
        double expected = 2 * 0.5 * gap / 0.1 / (1 + Math.exp(-w));
        assertThat(beta.parameters().get(0).grad().item()).isCloseTo(expected, within(1e-12));
    }

    @Test
    void filterWeightsPassThroughTheSwitches() {
        BetaEstimator beta = Pairs.create("beta_dpo_instance",
                Map.of("filter", true, "mode_weight", 0.5, "detach", true, "beta_penalty", 0.1), Pairs.context(1));
        BetaEstimator.Estimate e = beta.train(Pairs.full());
        assertThat(Arrays.stream(e.weights().toDoubleArray()).sum()).isEqualTo(2);
        assertThat(e.penalty()).isNotNull();
        assertThat(beta.parameters()).isEmpty();
    }
}
