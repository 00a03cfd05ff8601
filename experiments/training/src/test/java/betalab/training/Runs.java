package betalab.training;

import betalab.api.registry.Extension;
import betalab.api.registry.Extensions;
import betalab.api.registry.Registry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the training tests share: a small bandit config as maps, registries, and readers of run files. */
final class Runs {
    static final Registry REGISTRY = Registry.discover();
    static final ObjectMapper JSON = new ObjectMapper();

    private Runs() {
    }

    /** The discovered extensions plus the tests' own. */
    static Registry with(Extension... extra) {
        List<com.google.inject.Module> modules = new ArrayList<>(Extensions.discover());
        modules.addAll(List.of(extra));
        return Registry.of(modules);
    }

    /** A config map small enough to train in well under a second: 192 training pairs, 3 steps an epoch. */
    static Map<String, Object> bandit(int steps, Map<String, Object> beta, double noise) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("seed", 3);
        c.put("rng", "torch");
        c.put("steps", steps);
        c.put("batch_size", 64);
        c.put("eval_every", 10);
        c.put("checkpoint_every", 10);
        c.put("task", new LinkedHashMap<>(Map.of("name", "bandit", "prompts", 256, "prompt_dim", 6,
                "response_dim", 6, "candidates", 5, "temperature", 1.0, "label_noise", noise, "eval_fraction", 0.25,
                "pairs_per_prompt", 1)));
        c.put("policy", new LinkedHashMap<>(Map.of("name", "log_linear")));
        c.put("loss", new LinkedHashMap<>(Map.of("name", "sigmoid")));
        c.put("beta", new LinkedHashMap<>(beta));
        c.put("optimizer", new LinkedHashMap<>(Map.of("name", "adam", "lr", 0.05)));
        return c;
    }

    static final Map<String, Object> FIXED = Map.of("name", "fixed", "beta", 0.5);

    static Config resolve(Map<String, ?> tree, Registry registry) {
        return PreferenceTraining.resolve(ConfigTree.of(tree, null), registry);
    }

    static List<JsonNode> rows(Path dir) {
        List<JsonNode> rows = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(dir.resolve(RunDirectory.METRICS_JSONL))) {
                rows.add(JSON.readTree(line));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rows;
    }

    static JsonNode json(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
