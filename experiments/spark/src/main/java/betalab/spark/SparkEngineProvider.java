package betalab.spark;

import betalab.sweep.SweepEngine;
import java.util.Map;

/** The sweep engine "spark": each run of a sweep one Spark task. */
public final class SparkEngineProvider implements SweepEngine.Provider {
    public static final String NAME = "spark";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public SweepEngine open(Map<String, String> options) {
        return new SparkSweepEngine(options);
    }
}
