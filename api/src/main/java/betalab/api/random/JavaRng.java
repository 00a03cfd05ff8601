package betalab.api.random;

import betalab.api.Stateful;
import java.util.Map;

/**
 * SplitMix64 (Steele, Lea and Flood 2014), the algorithm of the JDK's {@code SplittableRandom}:
 * fast, well mixed, tied to no other framework, and its whole state is one 64-bit counter.
 */
public final class JavaRng implements Rng {
    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

    private long seed;

    public JavaRng(long seed) {
        this.seed = seed;
    }

    private long nextLong() {
        long z = (seed += GOLDEN_GAMMA);
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1) with 53 random bits. */
    private double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    @Override
    public double[] uniform(int n, double from, double to) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (from + (to - from) * nextDouble());
        }
        return out;
    }

    @Override
    public double[] normal(int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i += 2) {
            // Marsaglia's polar method: two independent normals per accepted point.
            double u;
            double v;
            double s;
            do {
                u = 2 * nextDouble() - 1;
                v = 2 * nextDouble() - 1;
                s = u * u + v * v;
            } while (s >= 1.0 || s == 0.0);
            double f = Math.sqrt(-2.0 * Math.log(s) / s);
            out[i] = (float) (u * f);
            if (i + 1 < n) {
                out[i + 1] = (float) (v * f);
            }
        }
        return out;
    }

    /** "seed": the 64-bit counter as two exact 32-bit halves (a double holds only 53 bits). */
    @Override
    public Map<String, double[]> state() {
        return Map.of("seed", new double[] {seed >>> 32, seed & 0xFFFFFFFFL});
    }

    @Override
    public void loadState(Map<String, double[]> state) {
        double[] halves = Stateful.entry(state, "seed", 2);
        seed = ((long) halves[0] << 32) | (long) halves[1];
    }
}
