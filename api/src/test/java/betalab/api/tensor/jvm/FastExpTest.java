package betalab.api.tensor.jvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** FastExp against Math.exp: float results identical, double ones within two ulps, edges deferred. */
class FastExpTest {

    @Test
    void roundedToFloatItEqualsMathExpOverAMillionInputs() {
        SplittableRandom random = new SplittableRandom(7);
        int mismatches = 0;
        String first = null;
        for (int i = 0; i < 1_000_000; i++) {
            // Every float from below e^x's float underflow to above its overflow, denser near 0.
            float x = i % 2 == 0 ? (float) random.nextDouble(-110, 90) : (float) random.nextDouble(-5, 5);
            float expected = (float) Math.exp(x);
            float actual = (float) FastExp.exp(x);
            if (Float.floatToIntBits(expected) != Float.floatToIntBits(actual)) {
                mismatches++;
                first = first == null ? x + ": " + actual + " against " + expected : first;
            }
        }
        assertThat(mismatches).as("first mismatch %s", first).isZero();
    }

    /**
     * Every float from −110 to 90 (beyond, both give 0 or ∞), about 2.2·10⁹ of them: a minute on one
     * core, so only on request: {@code mvn -pl api test -Dtest=FastExpTest -Dbetalab.exhaustive=true}.
     */
    @Test
    @EnabledIfSystemProperty(named = "betalab.exhaustive", matches = "true")
    void roundedToFloatItEqualsMathExpForEveryFloat() {
        long mismatches = 0;
        float first = Float.NaN;
        int negative = Float.floatToIntBits(-110f);
        int positive = Float.floatToIntBits(90f);
        for (int bits = Integer.MIN_VALUE; bits <= negative; bits++) {
            float x = Float.intBitsToFloat(bits);
            if (Float.floatToIntBits((float) Math.exp(x)) != Float.floatToIntBits((float) FastExp.exp(x))) {
                mismatches++;
                first = Float.isNaN(first) ? x : first;
            }
        }
        for (int bits = 0; bits <= positive; bits++) {
            float x = Float.intBitsToFloat(bits);
            if (Float.floatToIntBits((float) Math.exp(x)) != Float.floatToIntBits((float) FastExp.exp(x))) {
                mismatches++;
                first = Float.isNaN(first) ? x : first;
            }
        }
        assertThat(mismatches).as("first mismatch at %s", first).isZero();
    }

    @Test
    void inDoubleItIsWithinTwoUlpsOfMathExp() {
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 200_000; i++) {
            double x = random.nextDouble(-708, 709);
            double expected = Math.exp(x);
            assertThat(Math.abs(FastExp.exp(x) - expected)).as("x = %s", x).isLessThanOrEqualTo(2 * Math.ulp(expected));
        }
    }

    @Test
    void edgesAreMathExps() {
        double[] edges = {0, -0.0, 1, -1, 709, 709.5, 710, -708, -708.5, -745.2, -746, 1e-300, -1e-300,
            Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, Double.MAX_VALUE, -Double.MAX_VALUE};
        for (double x : edges) {
            double expected = Math.exp(x);
            double actual = FastExp.exp(x);
            if (Double.isNaN(expected) || Double.isInfinite(expected) || expected == 0) {
                assertThat(Double.valueOf(actual)).as("x = %s", x).isEqualTo(Double.valueOf(expected));
            } else {
                assertThat(Math.abs(actual - expected)).as("x = %s", x).isLessThanOrEqualTo(2 * Math.ulp(expected));
            }
        }
        assertThat(FastExp.exp(0)).isEqualTo(1.0);
    }
}
