package betalab.api.random;

import java.util.SplittableRandom;

/** The JDK's {@link SplittableRandom}: fast and well mixed, not tied to any other framework. */
public final class JavaRng implements Rng {
    private final SplittableRandom random;

    public JavaRng(long seed) {
        this.random = new SplittableRandom(seed);
    }

    @Override
    public double[] uniform(int n, double from, double to) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) random.nextDouble(from, to);
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
                u = random.nextDouble(-1.0, 1.0);
                v = random.nextDouble(-1.0, 1.0);
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
}
