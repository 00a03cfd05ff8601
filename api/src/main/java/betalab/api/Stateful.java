package betalab.api;

import java.util.Map;

/**
 * Something whose state a checkpoint saves and restores exactly: parameters, optimizer moments,
 * running statistics, generator positions. Restoring a saved state and continuing gives the same
 * numbers as never having stopped.
 */
public interface Stateful {

    /** Every number the state is made of, by name; the arrays are copies. */
    Map<String, double[]> state();

    /** Restores what {@link #state()} returned; fails naming the entry when names or sizes differ. */
    void loadState(Map<String, double[]> state);

    /** The entry {@code name} of a saved state, checked to hold {@code size} numbers. */
    static double[] entry(Map<String, double[]> state, String name, int size) {
        double[] values = state.get(name);
        if (values == null) {
            throw new IllegalArgumentException("saved state has no entry '" + name + "'");
        }
        if (values.length != size) {
            throw new IllegalArgumentException("saved state entry '" + name + "' holds " + values.length
                    + " numbers, expected " + size);
        }
        return values;
    }
}
