package betalab.api.testkit;

import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GradientCheckTest {
    private final Tensor x = Tensor.of(DType.FLOAT64, new double[] {0.5, -1.5, 2.0}, 3);

    @Test
    void passesACorrectGradient() {
        assertThatCode(() -> GradientCheck.check(t -> t[0].mul(t[0]).sum(), x)).doesNotThrowAnyException();
    }

    @Test
    void catchesAWrongGradient() {
        // Detaching one factor halves the autodiff gradient of x², which finite differences see whole.
        assertThatThrownBy(() -> GradientCheck.check(t -> t[0].detach().mul(t[0]).sum(), x))
                .isInstanceOf(AssertionError.class).hasMessageContaining("element 0: autodiff 0.5, finite difference 1.0");
    }
}
