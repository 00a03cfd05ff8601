package betalab.sweep;

import betalab.seed.SeedExperiment;
import java.util.List;
import java.util.Locale;

/** What a sweep runs: bandit training runs ({@code train}) or the seed experiment ({@code seed}). */
public enum Kind {
    TRAIN(0, List.of("eval/true_reward", "eval/kl_ref", "eval/pref_accuracy", "eval/win_rate_vs_ref"),
            "eval/true_reward"),
    SEED(SeedExperiment.SEED.defaultValue(), List.of("mean_beta_pos", "mean_beta_neg", "mean_beta_gap", "loss"), "loss");

    private final long defaultSeed;
    private final List<String> defaultMetrics;
    private final String curveMetric;

    Kind(long defaultSeed, List<String> defaultMetrics, String curveMetric) {
        this.defaultSeed = defaultSeed;
        this.defaultMetrics = defaultMetrics;
        this.curveMetric = curveMetric;
    }

    /** The seed a run takes when neither the sweep nor its base names one. */
    public long defaultSeed() {
        return defaultSeed;
    }

    /** The headline metrics when the sweep names none; the first sorts the tables. */
    public List<String> defaultMetrics() {
        return defaultMetrics;
    }

    /** The metric drawn as learning curves, from each run's metrics.jsonl. */
    public String curveMetric() {
        return curveMetric;
    }

    /** How sweep configs spell it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
