package betalab.api.tensor.jvm;

import static org.assertj.core.api.Assertions.assertThat;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The vector exp: within 2 ulps of Math.exp, and bit for bit the same as its own arithmetic done one
 * float at a time — lane-wise multiplies and adds round the same interpreted or compiled, which is
 * what keeps a resumed run equal to an uninterrupted one.
 */
class VectorMathTest {
    /** Loading the kernels gives this module its read of the vector module, as at run time; first. */
    private static final boolean VECTOR_KERNEL = Matmul.vectorKernelRuns();
    private static final int L = FloatVector.SPECIES_PREFERRED.length();

    private static float[] exp(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i + L <= x.length; i += L) {
            VectorMath.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, i)).intoArray(out, i);
        }
        return out;
    }

    /** The same steps in scalar float arithmetic. */
    private static float scalar(float x) {
        if (Float.isNaN(x)) {
            return Float.NaN;
        }
        if (x < -87.33654f) {
            return 0f;
        }
        if (x > 88.72283f) {
            return Float.POSITIVE_INFINITY;
        }
        float c = Math.min(Math.max(x, -87.33654f), 88.72283f);
        float n = c * 1.44269504088896341f + 12582912f - 12582912f;
        float r = c - n * 0.693359375f - n * -2.12194440e-4f;
        float p = ((((((r * (1f / 5040) + 1f / 720) * r + 1f / 120) * r + 1f / 24) * r + 1f / 6) * r + 0.5f) * r + 1f)
                * r + 1f;
        int half = (int) n >> 1;
        return p * Float.intBitsToFloat((half + 127) << 23) * Float.intBitsToFloat(((int) n - half + 127) << 23);
    }

    @Test
    void theVectorKernelIsOnInTheseTests() {
        assertThat(VECTOR_KERNEL).isTrue();
    }

    @Test
    void isWithinTwoUlpsOfMathExpAndBitForBitItsOwnScalarArithmetic() {
        int count = 1 << 18;
        count -= count % L;
        float[] x = new float[count];
        for (int i = 0; i < count; i++) {
            x[i] = -88f + 177f * i / (count - 1);
        }
        for (int i = 0; i < L; i++) {
            x[i] = i % 2 == 0 ? -87.33654f : 88.72283f;
        }
        float[] y = exp(x);
        double worst = 0;
        for (int i = 0; i < count; i++) {
            assertThat(Float.floatToIntBits(y[i])).as("x = %s", x[i]).isEqualTo(Float.floatToIntBits(scalar(x[i])));
            float exact = (float) Math.exp(x[i]);
            if (exact >= Float.MIN_NORMAL && !Float.isInfinite(exact)) {
                worst = Math.max(worst, Math.abs(y[i] - exact) / Math.ulp(exact));
            }
        }
        assertThat(worst).isLessThanOrEqualTo(2.0);
    }

    @Test
    void handlesTheEdges() {
        float[] x = new float[L * ((8 + L - 1) / L)];
        float[] edges = {Float.NEGATIVE_INFINITY, -1000f, -87.5f, 0f, 1f, 89f, Float.POSITIVE_INFINITY, Float.NaN};
        System.arraycopy(edges, 0, x, 0, Math.min(edges.length, x.length));
        float[] y = exp(x);
        assertThat(y[0]).isZero();
        assertThat(y[1]).isZero();
        assertThat(y[2]).isZero();
        assertThat(y[3]).isEqualTo(1f);
        assertThat(y[4]).isCloseTo((float) Math.E, org.assertj.core.api.Assertions.within(1e-6f));
        assertThat(y[5]).isInfinite();
        assertThat(y[6]).isInfinite();
        assertThat(y[7]).isNaN();
    }
}
