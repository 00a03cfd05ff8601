package betalab.models;

import static betalab.models.Pairs.MARGIN;
import static betalab.models.Pairs.REPRESENTATION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.preference.BetaEstimator;
import betalab.api.random.TorchRng;
import betalab.api.tensor.DType;
import betalab.api.testkit.GradientCheck;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyMlpBetaTest {
    private final BetaEstimator beta = Pairs.create("policy_mlp", Map.of("hidden", List.of(5)),
            Pairs.context(3));

    @Test
    void isTheSoftplusHeadOnTheRepresentation() {
        assertThat(beta).isInstanceOf(SoftplusMlpBeta.class);
        // 3 → 5 → 1: the representation's width, not the features'
        assertThat(beta.parameters().get(0).shape()).containsExactly(5, 3);
    }

    @Test
    void parameterGradientsMatchTheHeadWrittenOut() {
        beta.beta(Pairs.full()).mul(MARGIN).sum().backward();
        Pairs.assertGradientsMatch(beta.parameters(), t -> Pairs.softplusHead(REPRESENTATION, t).mul(MARGIN).sum());
    }

    @Test
    void sendsGradientIntoTheRepresentation() {
        GradientCheck.check(t -> beta.beta(Pairs.batch(t[0], null)).mul(MARGIN).sum(), REPRESENTATION);
        Tensor representation = REPRESENTATION.asParameter();
        beta.beta(Pairs.batch(representation, null)).mul(MARGIN).sum().backward();
        assertThat(representation.grad().toDoubleArray()).isNotEqualTo(new double[12]);
    }

    @Test
    void needsARepresentation() {
        assertThatThrownBy(() -> beta.beta(Pairs.batch(null, null))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("policy_mlp").hasMessageContaining("representation");
        BetaEstimator.Context none = new BetaEstimator.Context(2, 0, new TorchRng(1), DType.FLOAT64);
        assertThatThrownBy(() -> Pairs.create("policy_mlp", Map.of(), none))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("representation");
    }
}
