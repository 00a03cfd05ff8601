package betalab.sweep;

import betalab.api.registry.Registry;
import betalab.training.Config;
import betalab.training.RunFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * One run of a sweep, executed afresh into a directory: what every engine does with a job, on
 * whichever machine it runs. The directory ends with {@value Sweep#REQUESTED} (the config the sweep
 * asked for) and the run's files, or with a {@code summary.json} whose status is "failed".
 */
public final class RunAttempt {
    private RunAttempt() {
    }

    /**
     * Runs the run whose resolved config is the JSON text {@code config} into {@code dir} (emptied
     * first), with the extensions of {@code registry}; returns the run's error, or null when it completed.
     */
    public static Exception run(Kind kind, Registry registry, String config, Path dir) {
        Runner runner = Runner.of(kind, registry);
        try {
            ObjectNode tree = (ObjectNode) RunFiles.JSON.readTree(config);
            Config resolved = runner.resolve(tree);
            return run(runner, resolved, tree, dir);
        } catch (IOException | RuntimeException e) {
            return e;
        }
    }

    /** Runs {@code config} into {@code dir}, recording {@code requested} as what the sweep asked for. */
    static Exception run(Runner runner, Config config, JsonNode requested, Path dir) {
        Exception error = null;
        try {
            delete(dir);
            Files.createDirectories(dir);
            RunFiles.writeJson(dir.resolve(Sweep.REQUESTED), requested);
            runner.run(config, dir);
        } catch (Exception e) {
            error = e;
            recordFailure(dir, e);
        }
        return error;
    }

    /** Marks the run failed with the error, keeping what the runner recorded (its metrics so far). */
    private static void recordFailure(Path runDir, Exception e) {
        JsonNode existing = Sweep.summary(runDir);
        ObjectNode summary = existing instanceof ObjectNode o ? o : RunFiles.JSON.createObjectNode();
        summary.put("status", "failed");
        summary.put("error", Sweep.oneLine(e));
        RunFiles.writeJson(runDir.resolve("summary.json"), summary);
    }

    /** Deletes a file or a directory with everything in it; nothing when it does not exist. */
    public static void delete(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> all = Files.walk(path)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
