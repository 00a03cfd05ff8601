package betalab.sweep;

import java.util.Arrays;
import java.util.Map;

/** Summary statistics over seeds: mean, sample standard deviation and a t-based 95% confidence interval. */
public final class Stats {
    /** Lanczos' coefficients for g = 7, n = 9. */
    private static final double[] LANCZOS = {0.99999999999980993, 676.5203681218851, -1259.1392167224028,
            771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7};

    private Stats() {
    }

    /**
     * n values summarised: their mean, sample standard deviation (n − 1 in the denominator) and the
     * 95% interval mean ± t(0.975, n − 1)·sd/√n. With one value sd and the interval are NaN.
     */
    public record Summary(int n, double mean, double sd, double low, double high) {

        public double halfWidth() {
            return (high - low) / 2;
        }

        /** Whether the interval lies wholly above or below zero: +1, −1, or 0 when it spans zero. */
        public int sign() {
            return low > 0 ? 1 : high < 0 ? -1 : 0;
        }
    }

    public static Summary of(double... values) {
        int n = values.length;
        if (n == 0) {
            return new Summary(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        double mean = Arrays.stream(values).sum() / n;
        if (n == 1) {
            return new Summary(1, mean, Double.NaN, Double.NaN, Double.NaN);
        }
        double squares = 0;
        for (double v : values) {
            squares += (v - mean) * (v - mean);
        }
        double sd = Math.sqrt(squares / (n - 1));
        double half = tQuantile(0.975, n - 1) * sd / Math.sqrt(n);
        return new Summary(n, mean, sd, mean - half, mean + half);
    }

    /**
     * The paired comparison of two methods: the differences a − b of the seeds both ran, summarised,
     * so the interval is that of the per-seed difference, not of two independent means.
     */
    public static Summary paired(Map<Long, Double> a, Map<Long, Double> b) {
        return of(a.keySet().stream().filter(b::containsKey).sorted().mapToDouble(s -> a.get(s) - b.get(s)).toArray());
    }

    /** The p-quantile of Student's t with {@code df} degrees of freedom, by bisection on its CDF. */
    public static double tQuantile(double p, int df) {
        if (!(p > 0 && p < 1) || df < 1) {
            throw new IllegalArgumentException("t quantile needs 0 < p < 1 and df ≥ 1, got p = " + p + ", df = " + df);
        }
        if (p < 0.5) {
            return -tQuantile(1 - p, df);
        }
        double low = 0;
        double high = 1;
        while (tCdf(high, df) < p) {
            high *= 2;
        }
        // 200 halvings take any bracket below double precision.
        for (int i = 0; i < 200 && high - low > 1e-14 * high; i++) {
            double mid = (low + high) / 2;
            if (tCdf(mid, df) < p) {
                low = mid;
            } else {
                high = mid;
            }
        }
        return (low + high) / 2;
    }

    /** P(T ≤ t) for Student's t: 1 − ½·I_{df/(df+t²)}(df/2, ½) for t ≥ 0, by symmetry below. */
    static double tCdf(double t, int df) {
        double tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2.0, 0.5);
        return t >= 0 ? 1 - tail : tail;
    }

    /** I_x(a, b), the regularized incomplete beta function, by its continued fraction (Lentz). */
    static double regularizedBeta(double x, double a, double b) {
        if (x <= 0) {
            return 0;
        }
        if (x >= 1) {
            return 1;
        }
        // The fraction converges fast for x < (a + 1)/(a + b + 2); beyond, use I_x(a, b) = 1 − I_{1−x}(b, a).
        if (x > (a + 1) / (a + b + 2)) {
            return 1 - regularizedBeta(1 - x, b, a);
        }
        double front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x)) / a;
        double tiny = 1e-300;
        double c = 1;
        double d = 1 - (a + b) * x / (a + 1);
        d = 1 / (Math.abs(d) < tiny ? tiny : d);
        double f = d;
        for (int m = 1; m <= 10_000; m++) {
            for (int half = 0; half < 2; half++) {
                double numerator = half == 0
                        ? m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
                        : -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
                d = 1 + numerator * d;
                d = 1 / (Math.abs(d) < tiny ? tiny : d);
                c = 1 + numerator / c;
                c = Math.abs(c) < tiny ? tiny : c;
                f *= c * d;
                if (half == 1 && Math.abs(c * d - 1) < 1e-15) {
                    return front * f;
                }
            }
        }
        return front * f;
    }

    /** log Γ(x) for x &gt; 0: Lanczos' approximation (g = 7), accurate to about 1e-15 relative. */
    static double logGamma(double x) {
        if (x < 0.5) {
            // Reflection: Γ(x)Γ(1 − x) = π / sin(πx).
            return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
        }
        double z = x - 1;
        double sum = LANCZOS[0];
        for (int i = 1; i < LANCZOS.length; i++) {
            sum += LANCZOS[i] / (z + i);
        }
        double t = z + 7.5;
        return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
    }
}
