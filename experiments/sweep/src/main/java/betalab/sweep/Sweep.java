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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/**
 * Executes a sweep's runs in parallel, each into {@code <dir>/runs/<id>}. Resumable: a run whose
 * directory holds a completed run of the same config is skipped; any other is started afresh, so a
 * killed sweep loses only the runs it had in flight. A run that fails is recorded in its
 * {@code summary.json} (status "failed", with the error) and the others go on.
 */
public final class Sweep {
    /** In each run's directory: the config the sweep asked for, to tell a finished run from a changed one. */
    static final String REQUESTED = "sweep-run.json";

    /** The sub-directory of the sweep that holds one directory per run. */
    public static final String RUNS = "runs";

    /** Hears the sweep's progress; called from the worker threads. */
    public interface Listener {
        /** Before any run starts: how many runs there are and how many were already done. */
        void planned(int total, int skipped);

        void started(SweepRun run);

        /** A run ended: {@code error} is null when it completed. */
        void finished(SweepRun run, Exception error, double seconds);
    }

    /** What one execution did. */
    public record Outcome(int total, int skipped, int completed, int failed) {
    }

    private final Registry registry;
    private final SweepConfig config;
    private final Path dir;

    public Sweep(Registry registry, SweepConfig config, Path dir) {
        this.registry = registry;
        this.config = config;
        this.dir = dir;
    }

    public static Path runDirectory(Path sweepDir, SweepRun run) {
        return sweepDir.resolve(RUNS).resolve(run.id());
    }

    /** Runs every run not already completed, {@code workers} at a time, and waits for them all. */
    public Outcome run(int workers, Listener listener) {
        return run(Runner.of(config.kind(), registry), workers, listener);
    }

    private Outcome run(Runner runner, int workers, Listener listener) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be ≥ 1, got " + workers);
        }
        // Every config is checked before anything runs: a typo fails the sweep, not 175 runs.
        Map<SweepRun, Config> resolved = new LinkedHashMap<>();
        for (SweepRun run : config.runs()) {
            try {
                resolved.put(run, runner.resolve(run.config()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("run " + run.id() + ": " + e.getMessage(), e);
            }
        }
        List<Callable<Boolean>> pending = new ArrayList<>();
        resolved.forEach((run, c) -> {
            Path runDir = runDirectory(dir, run);
            if (!completed(runDir, c)) {
                pending.add(() -> execute(runner, run, c, runDir, listener));
            }
        });
        int skipped = resolved.size() - pending.size();
        listener.planned(resolved.size(), skipped);
        int failed = 0;
        // Daemon workers: an interrupted sweep must not keep the JVM alive for the runs in flight.
        ExecutorService pool = Executors.newFixedThreadPool(workers, task -> {
            Thread t = new Thread(task, "sweep-worker");
            t.setDaemon(true);
            return t;
        });
        try {
            for (var result : pool.invokeAll(pending)) {
                if (!result.get()) {
                    failed++;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("sweep interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a sweep worker failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
        return new Outcome(resolved.size(), skipped, pending.size() - failed, failed);
    }

    /** Runs one run afresh; true when it completed. */
    private static boolean execute(Runner runner, SweepRun run, Config config, Path runDir, Listener listener) {
        listener.started(run);
        long start = System.nanoTime();
        Exception error = null;
        try {
            delete(runDir);
            Files.createDirectories(runDir);
            RunFiles.writeJson(runDir.resolve(REQUESTED), config.toMap());
            runner.run(config, runDir);
        } catch (Exception e) {
            error = e;
            recordFailure(runDir, e);
        }
        listener.finished(run, error, (System.nanoTime() - start) / 1e9);
        return error == null;
    }

    /**
     * Whether the directory holds a completed run asked for with exactly this config (as the sweep
     * resolved it, before the run derived anything from it).
     */
    private static boolean completed(Path runDir, Config config) {
        JsonNode summary = summary(runDir);
        Path requested = runDir.resolve(REQUESTED);
        if (summary == null || !"completed".equals(summary.path("status").asText()) || !Files.exists(requested)) {
            return false;
        }
        try {
            JsonNode now = RunFiles.JSON.readTree(RunFiles.JSON.writeValueAsString(config.toMap()));
            return now.equals(RunFiles.JSON.readTree(requested.toFile()));
        } catch (IOException e) {
            return false;
        }
    }

    /** A run's summary.json, or null when it has none that reads. */
    static JsonNode summary(Path runDir) {
        Path file = runDir.resolve("summary.json");
        try {
            return Files.exists(file) ? RunFiles.JSON.readTree(file.toFile()) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Marks the run failed with the error, keeping what the runner recorded (its metrics so far). */
    private static void recordFailure(Path runDir, Exception e) {
        JsonNode existing = summary(runDir);
        ObjectNode summary = existing instanceof ObjectNode o ? o : RunFiles.JSON.createObjectNode();
        summary.put("status", "failed");
        summary.put("error", oneLine(e));
        RunFiles.writeJson(runDir.resolve("summary.json"), summary);
    }

    static String oneLine(Exception e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName()
                : message.lines().findFirst().orElse("");
    }

    private static void delete(Path path) throws IOException {
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
