package betalab.experiments.bandit;

/**
 * Preference pairs over the environment's prompts: for pair i, prompt {@code prompt[i]} with
 * candidate {@code chosen[i]} labelled better than {@code rejected[i]}; {@code flipped[i]} says the
 * label was flipped by the noise, so the true preference runs the other way.
 */
public record PreferencePairs(int[] prompt, int[] chosen, int[] rejected, boolean[] flipped) {

    public int size() {
        return prompt.length;
    }

    /** The pairs at the given positions, in that order. */
    public PreferencePairs select(int[] positions) {
        int[] p = new int[positions.length];
        int[] c = new int[positions.length];
        int[] r = new int[positions.length];
        boolean[] f = new boolean[positions.length];
        for (int i = 0; i < positions.length; i++) {
            p[i] = prompt[positions[i]];
            c[i] = chosen[positions[i]];
            r[i] = rejected[positions[i]];
            f[i] = flipped[positions[i]];
        }
        return new PreferencePairs(p, c, r, f);
    }
}
