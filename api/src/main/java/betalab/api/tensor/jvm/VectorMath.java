package betalab.api.tensor.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 element loops on {@code jdk.incubator.vector} for the exp-bound parts of the transformer:
 * SiLU and the exponentials of softmax. The Vector API's exp (the JVM's vector math library) is
 * within 2 float ulps and some 50 times cheaper than a scalar exp a element, so these loops round
 * differently from the scalar kernels, as the vector product does; they run only where
 * {@link VectorGemm} runs (see {@link Matmul#usesVectorKernel()}), and like it this class is loaded
 * only when the module is present.
 */
final class VectorMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    private VectorMath() {
    }

    /** y = x·σ(x) = x / (1 + e^−x). */
    static void silu(float[] x, float[] y) {
        int i = 0;
        for (int end = S.loopBound(x.length); i < end; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            v.div(v.neg().lanewise(VectorOperators.EXP).add(1f)).intoArray(y, i);
        }
        for (; i < x.length; i++) {
            y[i] = (float) (x[i] / (1 + Math.exp(-x[i])));
        }
    }

    /** out = g·σ(x)·(1 + x·(1 − σ(x))), SiLU's derivative times the gradient. */
    static void siluBackward(float[] x, float[] g, float[] out) {
        int i = 0;
        for (int end = S.loopBound(x.length); i < end; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector s = ONE.div(v.neg().lanewise(VectorOperators.EXP).add(1f));
            FloatVector slope = v.mul(s.neg().add(1f)).add(1f).mul(s);
            slope.mul(FloatVector.fromArray(S, g, i)).intoArray(out, i);
        }
        for (; i < x.length; i++) {
            double s = 1 / (1 + Math.exp(-x[i]));
            out[i] = (float) (g[i] * s * (1 + x[i] * (1 - s)));
        }
    }

    /**
     * out[outOff + j] = factor·e^(x[xOff + j]·scale − shift) for j &lt; len; returns Σ_j e^(x·scale − shift)
     * (before the factor), summed in float lanes. out may be x.
     */
    static double exp(float[] x, int xOff, int len, float scale, float shift, float factor, float[] out,
                      int outOff) {
        FloatVector sum = FloatVector.zero(S);
        int j = 0;
        for (int end = S.loopBound(len); j < end; j += L) {
            FloatVector e = FloatVector.fromArray(S, x, xOff + j).mul(scale).sub(shift).lanewise(VectorOperators.EXP);
            sum = sum.add(e);
            e.mul(factor).intoArray(out, outOff + j);
        }
        double total = sum.reduceLanes(VectorOperators.ADD);
        for (; j < len; j++) {
            double e = Math.exp(x[xOff + j] * scale - shift);
            total += e;
            out[outOff + j] = (float) (factor * e);
        }
        return total;
    }
}
