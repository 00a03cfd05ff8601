package betalab.models;

import betalab.api.Stateful;
import java.util.Map;

/** The state of a scheme whose only state is one positive coefficient, its current β, saved as "beta". */
final class SavedCoefficient {
    private SavedCoefficient() {
    }

    static Map<String, double[]> save(double beta) {
        return Map.of("beta", new double[] {beta});
    }

    /** The saved β; fails unless it is a positive finite number. */
    static double load(Map<String, double[]> state) {
        double saved = Stateful.entry(state, "beta", 1)[0];
        if (!(saved > 0) || Double.isInfinite(saved)) {
            throw new IllegalArgumentException("saved state entry 'beta' must be a positive finite number, got "
                    + saved);
        }
        return saved;
    }
}
