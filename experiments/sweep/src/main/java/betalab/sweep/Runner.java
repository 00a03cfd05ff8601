package betalab.sweep;

import betalab.api.policy.Policy;
import betalab.api.random.Rng;
import betalab.api.registry.Registry;
import betalab.api.task.Task;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import betalab.seed.SeedExperiment;
import betalab.training.Config;
import betalab.training.ConfigSchema;
import betalab.training.ConfigTree;
import betalab.training.PreferenceMetrics;
import betalab.training.PreferenceTraining;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs one kind of experiment into a run directory, the directory its own command writes: a run of
 * a sweep replays alone from its {@code config.json}. Every run directory ends with a
 * {@code summary.json} whose {@code status} is "completed" only when the run finished, and whose
 * {@code last_eval} holds its final metrics; {@code metrics.jsonl} holds its rows.
 */
abstract class Runner {
    /** What every row of the training loop holds (its MetricsLogger), then the preference metrics. */
    static final List<String> ROW;

    static {
        List<String> row = new ArrayList<>(List.of("step", "epoch", "loss", "grad_norm", "learning_rate"));
        row.addAll(PreferenceMetrics.KEYS);
        ROW = List.copyOf(row);
    }

    private final ConfigSchema schema;
    final Registry registry;

    Runner(ConfigSchema schema, Registry registry) {
        this.schema = schema;
        this.registry = registry;
    }

    static Runner of(Kind kind, Registry registry) {
        return switch (kind) {
            case TRAIN -> new Runner(PreferenceTraining.SCHEMA, registry) {
                @Override
                void run(Config config, Path dir) {
                    PreferenceTraining.train(registry, config, dir, Integer.MAX_VALUE, row -> { });
                }

                @Override
                String metricsKey(Config config) {
                    return config.component("task").name();
                }

                /** The task's evaluation names are known only to the task: asked of it on its held-out split. */
                @Override
                Set<String> metrics(Config config) {
                    Set<String> names = new LinkedHashSet<>(ROW);
                    Rng rng = Rng.named(config.get(PreferenceTraining.RNG), config.get(PreferenceTraining.SEED));
                    Task task = config.create(registry, "task", Task.POINT, new Task.Context(rng, DType.FLOAT32));
                    Policy reference = config.create(registry, "policy", Policy.POINT,
                            new Policy.Context(task.vocabularySize(), task.tables(), rng, DType.FLOAT32));
                    try (var noGrad = Tensor.noGrad()) {
                        Policy.Sequences one = Policy.Sequences.aligned(new int[][] {{0}}, new int[][] {{0}});
                        Policy.Scores scores = reference.score(one);
                        if (scores.vocabularyLogps() != null) {
                            names.addAll(PreferenceMetrics.TOKEN_KEYS);
                        }
                        if (scores.logitMeans() != null) {
                            names.addAll(PreferenceMetrics.LOGIT_KEYS);
                        }
                        names.addAll(task.prepare(reference, rng).evaluator().evaluate(reference, reference).keySet());
                    }
                    names.addAll(List.of("eval/beta_clean", "eval/beta_flipped"));
                    return names;
                }
            };
            case SEED -> new Runner(SeedExperiment.SCHEMA, registry) {
                @Override
                void run(Config config, Path dir) {
                    SeedExperiment.run(registry, config, dir);
                }

                @Override
                String metricsKey(Config config) {
                    return "";
                }

                @Override
                Set<String> metrics(Config config) {
                    Set<String> names = new LinkedHashSet<>(ROW);
                    names.addAll(List.of("mean_beta_gap", "mean_beta_pos", "mean_beta_neg"));
                    return names;
                }
            };
        };
    }

    /** The run's config tree checked and resolved; an IllegalArgumentException of one line when it is not valid. */
    @SuppressWarnings("unchecked")
    Config resolve(ObjectNode tree) {
        Map<String, Object> map = betalab.training.RunFiles.JSON.convertValue(tree, Map.class);
        return schema.resolve(ConfigTree.of(map, null), registry);
    }

    /**
     * The metrics a run of {@code config} ends with in its summary ({@code last_eval}): the names a
     * sweep can report. Builds what it must to know them and writes nothing.
     */
    abstract Set<String> metrics(Config config);

    /** Configs with the same key end with the same metric names: {@link #metrics} is asked once per key. */
    abstract String metricsKey(Config config);

    /** Runs into {@code dir}, which holds no run; throws when the run fails. */
    abstract void run(Config config, Path dir);
}
