package betalab.api.task;

/**
 * Preference pairs as token sequences: for pair i, {@code chosen[i]} is labelled better than
 * {@code rejected[i]} as a completion of {@code prompts[i]}; {@code flipped[i]} says label noise
 * flipped it (the true preference runs the other way). Pairs may carry prompt features, row-major
 * [n, featureDim], for β schemes that read them.
 */
public record PreferencePairs(int[][] prompts, int[][] chosen, int[][] rejected, boolean[] flipped,
                              double[] features, int featureDim) {

    public PreferencePairs {
        int n = prompts.length;
        if (chosen.length != n || rejected.length != n || flipped.length != n) {
            throw new IllegalArgumentException("pairs need as many chosen, rejected and flipped entries as prompts");
        }
        if (featureDim > 0 && (features == null || features.length != n * featureDim)) {
            throw new IllegalArgumentException("features must hold " + n + " × " + featureDim + " numbers");
        }
    }

    public int size() {
        return prompts.length;
    }

    /** The pairs at the given positions, in that order. */
    public PreferencePairs select(int[] positions) {
        int n = positions.length;
        int[][] p = new int[n][];
        int[][] c = new int[n][];
        int[][] r = new int[n][];
        boolean[] f = new boolean[n];
        double[] x = featureDim > 0 ? new double[n * featureDim] : null;
        for (int i = 0; i < n; i++) {
            int at = positions[i];
            p[i] = prompts[at];
            c[i] = chosen[at];
            r[i] = rejected[at];
            f[i] = flipped[at];
            if (x != null) {
                System.arraycopy(features, at * featureDim, x, i * featureDim, featureDim);
            }
        }
        return new PreferencePairs(p, c, r, f, x, featureDim);
    }
}
