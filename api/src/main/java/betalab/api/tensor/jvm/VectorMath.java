package betalab.api.tensor.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 element loops on {@code jdk.incubator.vector} for the exp-bound parts of the transformer:
 * SiLU and the exponentials of softmax. e^x is computed here from lane-wise multiplies and adds
 * (x = n·ln2 + r, a degree-7 polynomial in r, 2^n from the exponent bits), within 2 float ulps of
 * Math.exp and some 50 times cheaper than a scalar exp an element. Not the Vector API's own EXP:
 * that is the vector math library once C2 compiles a loop but a per-lane Math.exp before, so the
 * same run would round differently before and after warm-up and a resumed run would not repeat an
 * uninterrupted one. Sums are taken lane by lane in a fixed order for the same reason. These loops
 * round differently from the scalar kernels, as the vector product does; they run only where
 * {@link VectorGemm} runs (see {@link Matmul#usesVectorKernel()}), and like it this class is loaded
 * only when the module is present.
 */
final class VectorMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);
    private static final float LOG2E = 1.44269504088896341f;
    /** ln2 split so that n·LN2_HI is exact for |n| ≤ 2⁸. */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** Adding it rounds a float below 2²² in magnitude to an integer. */
    private static final float SHIFTER = 12582912f;
    /** Below it e^x is under float's smallest normal and taken as 0; above the next, over float's largest. */
    private static final float LOWEST = -87.33654f;
    private static final float HIGHEST = 88.72283f;

    private VectorMath() {
    }

    /** e^x in every lane, the same bits interpreted or compiled. */
    static FloatVector exp(FloatVector x) {
        FloatVector clamped = x.max(LOWEST).min(HIGHEST);
        FloatVector n = clamped.mul(LOG2E).add(SHIFTER).sub(SHIFTER);
        FloatVector r = clamped.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
        FloatVector p = r.mul(1f / 5040).add(1f / 720).mul(r).add(1f / 120).mul(r).add(1f / 24).mul(r).add(1f / 6)
                .mul(r).add(0.5f).mul(r).add(1f).mul(r).add(1f);
        // 2^n as 2^⌊n/2⌋ · 2^(n − ⌊n/2⌋): both factors stay normal for n from −126 to 128.
        IntVector whole = (IntVector) n.convert(VectorOperators.F2I, 0);
        IntVector half = whole.lanewise(VectorOperators.ASHR, 1);
        return p.mul(powerOfTwo(half)).mul(powerOfTwo(whole.sub(half)))
                .blend(0f, x.lt(LOWEST)).blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, HIGHEST));
    }

    private static FloatVector powerOfTwo(IntVector exponent) {
        return exponent.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    }

    /** Σ of the lanes, first to last, in double. */
    private static double sum(FloatVector v) {
        float[] lanes = v.toArray();
        double total = 0;
        for (float lane : lanes) {
            total += lane;
        }
        return total;
    }

    /** y = x·σ(x) = x / (1 + e^−x). */
    static void silu(float[] x, float[] y) {
        int i = 0;
        for (int end = S.loopBound(x.length); i < end; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            v.div(exp(v.neg()).add(1f)).intoArray(y, i);
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
            FloatVector s = ONE.div(exp(v.neg()).add(1f));
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
            FloatVector e = exp(FloatVector.fromArray(S, x, xOff + j).mul(scale).sub(shift));
            sum = sum.add(e);
            e.mul(factor).intoArray(out, outOff + j);
        }
        double total = sum(sum);
        for (; j < len; j++) {
            double e = Math.exp(x[xOff + j] * scale - shift);
            total += e;
            out[outOff + j] = (float) (factor * e);
        }
        return total;
    }
}
