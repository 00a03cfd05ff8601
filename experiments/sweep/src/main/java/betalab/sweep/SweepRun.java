package betalab.sweep;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One run of a sweep.
 *
 * @param id     stable, readable name made of the method, the overrides and the seed, e.g.
 *               {@code dpo__label_noise=0.2__seed=3}; the run's directory is {@code runs/<id>}
 * @param cell   the id without the seed: the runs of one cell differ only in their seed
 * @param fields the method (column {@code method}) and every swept field's value, by column, in the
 *               sweep's column order; a field this run does not set is ""
 * @param seed   the run's seed
 * @param config the run's config tree: the base with every override applied
 */
public record SweepRun(String id, String cell, Map<String, String> fields, long seed, ObjectNode config) {

    public static final String METHOD = "method";

    public SweepRun {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** The method's name, or null when the sweep names no methods. */
    public String method() {
        return fields.get(METHOD);
    }
}
