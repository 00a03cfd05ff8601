package betalab.sweep;

import betalab.api.registry.Registry;
import betalab.seed.SeedExperiment;
import betalab.training.Config;
import betalab.training.ConfigSchema;
import betalab.training.ConfigTree;
import betalab.training.PreferenceTraining;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Map;

/**
 * Runs one kind of experiment into a run directory, the directory its own command writes: a run of
 * a sweep replays alone from its {@code config.json}. Every run directory ends with a
 * {@code summary.json} whose {@code status} is "completed" only when the run finished, and whose
 * {@code last_eval} holds its final metrics; {@code metrics.jsonl} holds its rows.
 */
abstract class Runner {
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
            };
            case SEED -> new Runner(SeedExperiment.SCHEMA, registry) {
                @Override
                void run(Config config, Path dir) {
                    SeedExperiment.run(registry, config, dir);
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

    /** Runs into {@code dir}, which holds no run; throws when the run fails. */
    abstract void run(Config config, Path dir);
}
