package betalab.api.task;

/**
 * Preference pairs as token sequences: for pair i, {@code chosen[i]} is labelled better than
 * {@code rejected[i]} as a completion of {@code prompts[i]}; {@code flipped[i]} says label noise
 * flipped it (the true preference runs the other way). Pairs may carry prompt features, row-major
 * [n, featureDim], for β schemes that read them, and the reference's log-probabilities of both
 * completions, computed beforehand (TRL's {@code ref_chosen_logps}, {@code ref_rejected_logps}).
 *
 * @param referenceChosen   log π_ref(chosen[i] | prompts[i]) summed over the completion's tokens, or
 *                          null where the reference is to score the pairs itself
 * @param referenceRejected the same for the rejected completions; null exactly when referenceChosen is
 */
public record PreferencePairs(int[][] prompts, int[][] chosen, int[][] rejected, boolean[] flipped,
                              double[] features, int featureDim, double[] referenceChosen,
                              double[] referenceRejected) {

    public PreferencePairs {
        int n = prompts.length;
        if (chosen.length != n || rejected.length != n || flipped.length != n) {
            throw new IllegalArgumentException("pairs need as many chosen, rejected and flipped entries as prompts");
        }
        if (featureDim > 0 && (features == null || features.length != n * featureDim)) {
            throw new IllegalArgumentException("features must hold " + n + " × " + featureDim + " numbers");
        }
        if ((referenceChosen == null) != (referenceRejected == null)
                || referenceChosen != null && (referenceChosen.length != n || referenceRejected.length != n)) {
            throw new IllegalArgumentException("reference log-probabilities are given for both completions of all "
                    + n + " pairs, or for none");
        }
    }

    /** Pairs the reference scores itself. */
    public PreferencePairs(int[][] prompts, int[][] chosen, int[][] rejected, boolean[] flipped, double[] features,
                           int featureDim) {
        this(prompts, chosen, rejected, flipped, features, featureDim, null, null);
    }

    /** Whether the reference's log-probabilities of the completions came with the pairs. */
    public boolean hasReferenceLogps() {
        return referenceChosen != null;
    }

    /** These pairs with the reference's summed log-probabilities of their completions. */
    public PreferencePairs withReferenceLogps(double[] chosenLogps, double[] rejectedLogps) {
        return new PreferencePairs(prompts, chosen, rejected, flipped, features, featureDim, chosenLogps,
                rejectedLogps);
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
        double[] refChosen = referenceChosen == null ? null : new double[n];
        double[] refRejected = referenceRejected == null ? null : new double[n];
        for (int i = 0; i < n; i++) {
            int at = positions[i];
            p[i] = prompts[at];
            c[i] = chosen[at];
            r[i] = rejected[at];
            f[i] = flipped[at];
            if (refChosen != null) {
                refChosen[i] = referenceChosen[at];
                refRejected[i] = referenceRejected[at];
            }
            if (x != null) {
                System.arraycopy(features, at * featureDim, x, i * featureDim, featureDim);
            }
        }
        return new PreferencePairs(p, c, r, f, x, featureDim, refChosen, refRejected);
    }
}
