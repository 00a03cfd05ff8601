package betalab.models;

import static betalab.models.Pairs.MARGIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class LearnableScalarBetaTest {

    @ParameterizedTest
    @CsvSource({"softplus, 0.1", "softplus, 0.37", "softplus, 1e-4", "softplus, 25", "exp, 0.1", "exp, 0.37",
            "exp, 3"})
    void startsAtExactlyInit(String parametrization, double init) {
        BetaEstimator beta = Pairs.create("learnable_scalar",
                Map.of("parametrization", parametrization, "init", init), Pairs.context(1));
        assertThat(beta.beta(Pairs.full()).toDoubleArray()).containsOnly(init).hasSize(4);
        assertThat(beta.parameters()).hasSize(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"softplus", "exp"})
    void startsAtInitRoundedToFloat32InFloat32(String parametrization) {
        LearnableScalarBeta beta = new LearnableScalarBeta(LearnableScalarBeta.Parametrization.named(parametrization),
                0.1, DType.FLOAT32);
        Tensor margin = Tensor.of(DType.FLOAT32, new double[] {1, -1}, 2);
        assertThat(beta.beta(PreferenceBatch.ofMargins(margin, null)).toDoubleArray())
                .containsOnly((double) 0.1f);
    }

    /** Once w moves, β is g(w) and its gradient is g'(w): checked against g written directly. */
    @ParameterizedTest
    @ValueSource(strings = {"softplus", "exp"})
    void betaAndGradientAreThoseOfTheParametrization(String parametrization) {
        LearnableScalarBeta beta = new LearnableScalarBeta(LearnableScalarBeta.Parametrization.named(parametrization),
                0.2, DType.FLOAT64);
        beta.w().addInPlace(Pairs.vector(0.7), 1.0);
        UnaryOperator<Tensor> g = parametrization.equals("exp") ? Tensor::exp : Tensor::softplus;
        double expected = g.apply(beta.w().detach()).item();
        assertThat(beta.beta(Pairs.full()).toDoubleArray()).containsOnly(new double[] {expected}, within(1e-15));

        beta.beta(Pairs.full()).mul(MARGIN).sum().backward();
        Pairs.assertGradientsMatch(List.of(beta.w()), t -> g.apply(t[0]).mul(MARGIN).sum());
    }
}
