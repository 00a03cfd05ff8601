package betalab.api.tensor.jvm;

/**
 * e^x in double to about one ulp, several times cheaper than {@link Math#exp} on the JVMs this
 * project runs on (3.4 against 13.5–15 ns an element in one measurement on a loaded machine; exp-heavy
 * kernels such as log softmax were bound by Math.exp). Rounded to float its values equal Math.exp's for every float input
 * (FastExpTest checks a million on every build and all of them on request), so float32 kernels use
 * it without changing a bit. Outside [−708, 709] (subnormal or infinite results) and for NaN it
 * defers to Math.exp.
 *
 * <p>x = (64k + j)·ln2/64 + r with |r| ≤ ln2/128, so e^x = 2^k · 2^(j/64) · e^r, the middle factor
 * from a table and e^r from a short polynomial.
 */
final class FastExp {
    private static final double SIXTY_FOUR_OVER_LN2 = 92.33248261689366;
    /** ln2/64 split so that n·LN2_64_HI is exact for the |n| ≤ 2¹⁶ used here. */
    private static final double LN2_64_HI = 0.010830424696223417;
    private static final double LN2_64_LO = 2.572804622327669e-14;
    /** Adding it rounds a double below 2⁵¹ in magnitude to an integer, kept in the low bits. */
    private static final double SHIFTER = 6755399441055744.0;
    /** 2^(j/64), j = 0 … 63. */
    private static final double[] TABLE = new double[64];

    static {
        for (int j = 0; j < 64; j++) {
            TABLE[j] = StrictMath.pow(2, j / 64.0);
        }
    }

    private FastExp() {
    }

    static double exp(double x) {
        if (!(x >= -708.0 && x <= 709.0)) {
            return Math.exp(x);
        }
        double t = x * SIXTY_FOUR_OVER_LN2 + SHIFTER;
        long n = Double.doubleToRawLongBits(t) - Double.doubleToRawLongBits(SHIFTER);
        double nd = t - SHIFTER;
        double r = (x - nd * LN2_64_HI) - nd * LN2_64_LO;
        // |r| ≤ 0.0055: the series to r⁶ leaves a truncation error below 1e-17.
        double p = 1.0 / 720.0;
        p = p * r + 1.0 / 120.0;
        p = p * r + 1.0 / 24.0;
        p = p * r + 1.0 / 6.0;
        p = p * r + 0.5;
        double expRMinusOne = r + r * r * p;
        double scale = TABLE[(int) (n & 63)];
        return (scale + scale * expRMinusOne) * Double.longBitsToDouble(((n >> 6) + 1023) << 52);
    }
}
