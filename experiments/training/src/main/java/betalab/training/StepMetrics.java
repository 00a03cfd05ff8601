package betalab.training;

import java.util.Map;

/**
 * What one step measured, in a form that adds up over steps, so that a logged row can summarise a
 * whole interval or a whole validation pass exactly (means over pairs, not means of means).
 */
public interface StepMetrics {

    /** Adds another step's metrics of the same kind. */
    void add(StepMetrics other);

    /** The metrics, by name; a metric with no value (no pairs of that kind) is left out. */
    Map<String, Double> values();
}
