package betalab.sweep;

import betalab.api.registry.Registry;
import betalab.training.Config;
import betalab.training.DirectoryLock;
import betalab.training.RunFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Executes a sweep's runs in parallel, each into {@code <dir>/runs/<id>}. Every run's config is
 * resolved, and the headline metrics checked, when the sweep is made, before anything is written.
 * While it runs, the sweep holds the directory's {@link DirectoryLock}, and it refuses a directory
 * that holds a different sweep (see {@link #claim}). Resumable: a run whose directory holds a
 * completed run of the same config is skipped; any other is started afresh, so a killed sweep loses
 * only the runs it had in flight. A run that fails is recorded in its {@code summary.json} (status
 * "failed", with the error) and the others go on.
 */
public final class Sweep {
    /** In each run's directory: the config the sweep asked for, to tell a finished run from a changed one. */
    public static final String REQUESTED = "sweep-run.json";

    /** In the sweep's directory: the sweep as resolved ({@link SweepConfig#toJson()}), to tell this sweep from another. */
    public static final String RECORD = "sweep-resolved.json";

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

    /** This process's hold on the sweep's directory; closing it releases the lock. */
    public final class Claim implements AutoCloseable {
        private final DirectoryLock lock;

        private Claim(DirectoryLock lock) {
            this.lock = lock;
        }

        @Override
        public void close() {
            claim = null;
            lock.close();
        }
    }

    private final SweepConfig config;
    private final Path dir;
    /** How messages name the directory: its path, or the remote directory it is a copy of. */
    private final String shown;
    private final Runner runner;
    private final Map<SweepRun, Config> resolved;
    private Claim claim;

    /**
     * Resolves every run's config and checks that the runs record each headline metric; an
     * IllegalArgumentException of one line, naming the sweep's file and the run or field, when not.
     * Nothing is written.
     */
    public Sweep(Registry registry, SweepConfig config, Path dir) {
        this(registry, config, dir, dir.toString());
    }

    /** As {@link #Sweep(Registry, SweepConfig, Path)}, in a local copy of the directory messages call {@code shown}. */
    public Sweep(Registry registry, SweepConfig config, Path dir, String shown) {
        this.config = config;
        this.dir = dir;
        this.shown = shown;
        this.runner = Runner.of(config.kind(), registry);
        String where = config.file() == null ? "" : config.file() + ": ";
        // Every config is checked before anything runs: a typo fails the sweep, not 175 runs.
        Map<SweepRun, Config> configs = new LinkedHashMap<>();
        Map<String, Set<String>> metricsByKey = new LinkedHashMap<>();
        for (SweepRun run : config.runs()) {
            try {
                Config c = runner.resolve(run.config());
                configs.put(run, c);
                String key = runner.metricsKey(c);
                if (!metricsByKey.containsKey(key)) {
                    metricsByKey.put(key, runner.metrics(c));
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + "run " + run.id() + ": " + e.getMessage(), e);
            }
        }
        Set<String> known = new LinkedHashSet<>();
        metricsByKey.values().forEach(known::addAll);
        boolean defaults = config.metrics().equals(config.kind().defaultMetrics());
        for (String metric : config.metrics()) {
            if (!known.contains(metric)) {
                throw new IllegalArgumentException(where + (defaults ? "the default metric '" + metric
                        + "' is not one these runs record; name the metrics to report in 'metrics'"
                        : "field 'metrics': '" + metric + "' is not a metric these runs record")
                        + "; known: " + String.join(", ", known));
            }
        }
        this.resolved = Collections.unmodifiableMap(configs);
    }

    public SweepConfig config() {
        return config;
    }

    /** How messages name {@code file}, a file in the sweep's directory: in the remote directory, for a copy. */
    public String shown(Path file) {
        return shown.equals(dir.toString()) ? file.toString()
                : shown.replaceAll("/+$", "") + "/" + dir.relativize(file).toString().replace('\\', '/');
    }

    public static Path runDirectory(Path sweepDir, SweepRun run) {
        return sweepDir.resolve(RUNS).resolve(run.id());
    }

    /**
     * Takes the sweep's directory (made if missing) for this sweep until the claim is closed: fails at
     * once, naming the owner, while another process holds it; refuses, unless {@code force}, a
     * directory whose {@value #RECORD} records a different sweep, or that holds other files and no
     * record; then records this sweep there ({@value #RECORD} and a copy of its file, sweep.&lt;ext&gt;).
     * A refusal leaves the directory as it was.
     */
    public Claim claim(boolean force) {
        if (claim != null) {
            throw new IllegalStateException(shown + " is already claimed by this sweep");
        }
        refuseOther(force); // before locking, so that a refusal touches nothing
        DirectoryLock lock = DirectoryLock.acquire(dir);
        try {
            refuseOther(force); // again: another sweep may have taken the directory in between
            RunFiles.writeJson(dir.resolve(RECORD), config.toJson());
            if (config.file() != null) {
                String name = config.file().getFileName().toString();
                Path copy = dir.resolve("sweep." + name.substring(name.lastIndexOf('.') + 1));
                RunFiles.write(copy, out -> Files.copy(config.file(), out));
            }
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
        claim = new Claim(lock);
        return claim;
    }

    /** Fails when the directory holds something other than this sweep, unless {@code force}. */
    private void refuseOther(boolean force) {
        if (force || !Files.isDirectory(dir)) {
            return;
        }
        Path record = dir.resolve(RECORD);
        String hint = "; choose another --out, or add --force to run this sweep there (runs whose config "
                + "changed are run again)";
        if (Files.exists(record)) {
            JsonNode recorded;
            try {
                recorded = RunFiles.JSON.readTree(record.toFile());
            } catch (IOException e) {
                throw new IllegalArgumentException(shown + " holds a sweep whose " + RECORD + " does not read ("
                        + RunFiles.reason(e) + ")" + hint, e);
            }
            ObjectNode now = config.toJson();
            if (!now.equals(recorded)) {
                Set<String> differ = new LinkedHashSet<>();
                now.fieldNames().forEachRemaining(f -> {
                    if (!now.get(f).equals(recorded.get(f))) {
                        differ.add(f);
                    }
                });
                recorded.fieldNames().forEachRemaining(f -> {
                    if (!now.has(f)) {
                        differ.add(f);
                    }
                });
                throw new IllegalArgumentException(shown + " holds a different sweep (its " + RECORD + " differs in "
                        + String.join(", ", differ) + ")" + hint);
            }
            return;
        }
        // Hidden files are a lock or a write cut short: no sweep of its own.
        try (Stream<Path> entries = Files.list(dir)) {
            List<String> other = entries.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("."))
                    .sorted().toList();
            if (!other.isEmpty()) {
                throw new IllegalArgumentException(shown + " holds files (" + String.join(", ", other.subList(0,
                        Math.min(3, other.size()))) + (other.size() > 3 ? ", …" : "") + ") but no sweep record ("
                        + RECORD + "): another sweep, or not a sweep at all" + hint);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + RunFiles.reason(e), e);
        }
    }

    /**
     * Runs every run not already completed, {@code workers} at a time in this process, and waits for
     * them all; claims the directory for the time (not forcing) unless this sweep holds it already.
     */
    public Outcome run(int workers, Listener listener) {
        return run(SweepEngine.pool(workers), listener);
    }

    /** As {@link #run(int, Listener)}, on {@code engine}. */
    public Outcome run(SweepEngine engine, Listener listener) {
        if (claim != null) {
            return execute(engine, listener);
        }
        try (Claim held = claim(false)) {
            return execute(engine, listener);
        }
    }

    private Outcome execute(SweepEngine engine, Listener listener) {
        List<SweepEngine.Job> pending = new ArrayList<>();
        resolved.forEach((run, c) -> {
            if (!completed(runDirectory(dir, run), c)) {
                pending.add(new SweepEngine.Job(run, json(c)));
            }
        });
        int skipped = resolved.size() - pending.size();
        listener.planned(resolved.size(), skipped);
        int failed = pending.isEmpty() ? 0 : engine.execute(new SweepEngine.Plan(config.name(), config.kind(),
                runner.registry, dir, pending), listener);
        return new Outcome(resolved.size(), skipped, pending.size() - failed, failed);
    }

    private static String json(Config config) {
        try {
            return RunFiles.JSON.writeValueAsString(config.toMap());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a run's config: " + e.getMessage(), e);
        }
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

    static String oneLine(Exception e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName()
                : message.lines().findFirst().orElse("");
    }
}
