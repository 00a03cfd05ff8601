package betalab.training;

import betalab.api.Stateful;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A run on disk, the one layout every command writes: {@code config.json} (the resolved config,
 * every default filled in, so the run replays from it alone), {@code provenance.json} (what
 * produced it: code, platform, extensions, data), {@code metrics.jsonl} and {@code metrics.csv}
 * (one row per logged step), {@code summary.json} (status, last and best evaluation), and, for runs
 * that resume, {@code checkpoint.json}. Rows are appended as they come, so a run of any length holds
 * none in memory; every other file is replaced whole and atomically.
 *
 * <p>As a training listener it records each step's row, and the run's status when it ends.
 */
public final class RunDirectory implements TrainingListener {
    public static final String CONFIG = "config.json";
    public static final String PROVENANCE = "provenance.json";
    public static final String METRICS_CSV = "metrics.csv";
    public static final String METRICS_JSONL = "metrics.jsonl";
    public static final String SUMMARY = "summary.json";
    public static final String CHECKPOINT = "checkpoint.json";
    /** A completed fit's fitted β scheme state (betalab fit-beta), which loss and train can start from. */
    public static final String FITTED_BETA = "beta.json";

    private static final ObjectWriter LINE = RunFiles.JSON.writer().without(SerializationFeature.INDENT_OUTPUT);
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() { };

    private final Path path;
    private final Map<String, Object> config;
    private final Map<String, Object> provenance;
    private final Map<String, Object> details = new LinkedHashMap<>();
    private String headline;
    private boolean higherIsBetter = true;
    private Map<String, Object> last = Map.of();
    private Map<String, Object> lastEval = Map.of();
    private Map<String, Object> bestEval = Map.of();
    private Summary summary;
    private DirectoryLock lock;
    private String resumeCommand;
    private Thread onSignal;
    private volatile boolean signalled;

    /** What a run ended with: its last evaluation (or last row) and its best evaluation. */
    public record Summary(Path path, String status, int steps, Map<String, Object> last, Map<String, Object> best) {
    }

    private RunDirectory(Path path, Map<String, Object> config, Map<String, Object> provenance) {
        this.path = path;
        this.config = config;
        this.provenance = provenance;
    }

    /** Fails when {@code dir} already holds a run. */
    public static void refuseExisting(Path dir) {
        if (Files.exists(dir.resolve(CONFIG))) {
            throw new IllegalArgumentException(dir + " already holds a run; resume it with --resume " + dir
                    + " or choose another directory");
        }
    }

    /**
     * A new, empty directory {@code parent/base} — or {@code base-2}, {@code base-3}, … when that is
     * taken — made atomically, so two runs started at once never share one.
     */
    public static Path unique(Path parent, String base) {
        try {
            Files.createDirectories(parent);
            for (int n = 1; ; n++) {
                Path dir = parent.resolve(n == 1 ? base : base + "-" + n);
                try {
                    return Files.createDirectory(dir);
                } catch (java.nio.file.FileAlreadyExistsException taken) {
                    // try the next name
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a run directory in " + parent + ": " + RunFiles.reason(e), e);
        }
    }

    /**
     * A new run in {@code dir} (made if missing) with its resolved config and provenance, locked for
     * this process; refuses a directory holding a run or used by another process.
     */
    public static RunDirectory create(Path dir, Map<String, Object> config, Map<String, Object> provenance) {
        refuseExisting(dir);
        DirectoryLock lock = DirectoryLock.acquire(dir);
        try {
            // Checked again under the lock: another process may have made a run here meanwhile.
            refuseExisting(dir);
            Map<String, Object> p = new LinkedHashMap<>(provenance);
            p.put("started", Instant.now().toString());
            RunDirectory run = new RunDirectory(dir, config, p);
            RunFiles.writeJson(dir.resolve(CONFIG), config);
            RunFiles.writeJson(dir.resolve(PROVENANCE), p);
            RunFiles.write(dir.resolve(METRICS_JSONL), out -> { });
            run.lock = lock;
            return run;
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /**
     * An existing run, to resume, locked for this process (a second resume fails at once, naming
     * the owner); temporary files a killed write left behind are removed.
     */
    public static RunDirectory open(Path dir) {
        if (!Files.exists(dir.resolve(CONFIG))) {
            throw new IllegalArgumentException(dir + " holds no run (no " + CONFIG + ")");
        }
        DirectoryLock lock = DirectoryLock.acquire(dir);
        try {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    String name = f.getFileName().toString();
                    if (name.startsWith(".") && name.endsWith(".tmp")) {
                        Files.deleteIfExists(f);
                    }
                }
            }
            RunDirectory run = new RunDirectory(dir, read(dir.resolve(CONFIG)), read(dir.resolve(PROVENANCE)));
            run.lock = lock;
            return run;
        } catch (IOException e) {
            lock.close();
            throw new UncheckedIOException("cannot read " + dir + ": " + RunFiles.reason(e), e);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /**
     * Refuses to continue this run under another set-up than it was started with: another tensor
     * backend, other extensions, or plugin jars whose content changed. One line says what differs.
     */
    public void requireSameSetUp(betalab.api.registry.Registry registry) {
        String backend = betalab.api.tensor.Backends.current().name();
        if (!backend.equals(provenance.get("backend"))) {
            throw new IllegalArgumentException(path + " was run on the backend '" + provenance.get("backend")
                    + "', not '" + backend + "'; resume it on the same backend");
        }
        String kernels = betalab.api.tensor.Backends.current().describe();
        Object recordedKernels = provenance.get("backend_kernels");
        if (recordedKernels != null && !kernels.equals(recordedKernels)) {
            throw new IllegalArgumentException(path + " was run on " + recordedKernels + ", not " + kernels
                    + ", whose results differ in the last bits; resume it with the same JVM options "
                    + "(--add-modules jdk.incubator.vector, betalab.jvm.vectorMatmul)");
        }
        Object extensions = provenance.get("extensions");
        if (!registry.extensions().equals(extensions)) {
            throw new IllegalArgumentException(path + " was run with the extensions " + extensions + ", but "
                    + registry.extensions() + " are loaded now; resume it with the same plugins (--plugin-path)");
        }
        Object recorded = provenance.get("plugins");
        if (recorded instanceof List<?> plugins) {
            Map<String, String> loaded = new LinkedHashMap<>();
            for (Path jar : registry.pluginJars()) {
                loaded.put(jar.toAbsolutePath().toString(), Provenance.sha256(jar));
            }
            for (Object o : plugins) {
                Map<?, ?> plugin = (Map<?, ?>) o;
                String now = loaded.get(String.valueOf(plugin.get("path")));
                if (!String.valueOf(plugin.get("sha256")).equals(now)) {
                    throw new IllegalArgumentException(path + " was run with the plugin " + plugin.get("path")
                            + (now == null ? ", which is not loaded now" : ", whose content has changed since (SHA-256 "
                            + now + ", was " + plugin.get("sha256") + ")"));
                }
            }
        }
    }

    /** The tensor backend a run in {@code dir} was started on, from its provenance. */
    public static String recordedBackend(Path dir) {
        return String.valueOf(read(dir.resolve(PROVENANCE)).get("backend"));
    }

    /** The plugin jars a run in {@code dir} was started with, from its provenance. */
    public static List<Path> recordedPlugins(Path dir) {
        Object plugins = read(dir.resolve(PROVENANCE)).get("plugins");
        List<Path> jars = new ArrayList<>();
        if (plugins instanceof List<?> list) {
            for (Object o : list) {
                jars.add(Path.of(String.valueOf(((Map<?, ?>) o).get("path"))));
            }
        }
        return jars;
    }

    /** The command that continues this run, shown when it is stopped by a signal. */
    public RunDirectory resumeWith(String command) {
        this.resumeCommand = command;
        return this;
    }

    /** Releases the directory for other processes; the run's files stay. */
    public void close() {
        forgetSignal();
        if (lock != null) {
            lock.close();
            lock = null;
        }
    }

    private void forgetSignal() {
        if (onSignal != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(onSignal);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or ran
            }
            onSignal = null;
        }
    }

    private static Map<String, Object> read(Path file) {
        try {
            return RunFiles.JSON.readValue(file.toFile(), MAP);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    /** The resolved config this run was started with. */
    public Map<String, Object> config() {
        return config;
    }

    public Map<String, Object> provenance() {
        return provenance;
    }

    /** Rows holding {@code metric} are evaluations; the best is where it is largest, or smallest. */
    public RunDirectory bestBy(String metric, boolean higher) {
        this.headline = metric;
        this.higherIsBetter = higher;
        // Rows recorded before the metric was named (a resumed run's, read back first) count too.
        forget();
        forEachRow(this::remember);
        return this;
    }

    /** Facts about the run the summary repeats (pair counts, columns read, …). */
    public void describe(Map<String, ?> facts) {
        details.putAll(facts);
    }

    /**
     * Loads the latest checkpoint into {@code state} and cuts the metrics back to its step, so the
     * run continues from there; returns that step, or 0 (and no rows) when there is no checkpoint.
     */
    public int resume(Map<String, Stateful> state) {
        Path file = path.resolve(CHECKPOINT);
        int step = 0;
        if (Files.exists(file)) {
            Checkpoint checkpoint;
            try {
                checkpoint = RunFiles.JSON.readValue(file.toFile(), Checkpoint.class);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
            }
            for (Map.Entry<String, Stateful> s : state.entrySet()) {
                Map<String, double[]> saved = checkpoint.state().get(s.getKey());
                if (saved == null) {
                    throw new IllegalArgumentException(file + " holds no state for '" + s.getKey() + "'");
                }
                s.getValue().loadState(saved);
            }
            step = checkpoint.step();
        }
        int upTo = step;
        List<Map<String, Object>> kept = new ArrayList<>();
        forEachRow(row -> {
            // Without a checkpoint the run starts over, its step-0 row included.
            if (upTo > 0 && ((Number) row.get("step")).intValue() <= upTo) {
                kept.add(row);
            }
        });
        RunFiles.write(path.resolve(METRICS_JSONL), out -> {
            for (Map<String, Object> row : kept) {
                out.write(LINE.writeValueAsBytes(row));
                out.write('\n');
            }
        });
        forget();
        kept.forEach(this::remember);
        return step;
    }

    /** The state saved at a step, by component name. */
    record Checkpoint(int step, Map<String, Map<String, double[]>> state) {
    }

    void saveCheckpoint(int step, Map<String, Stateful> state) {
        Map<String, Map<String, double[]>> saved = new LinkedHashMap<>();
        state.forEach((name, s) -> saved.put(name, s.state()));
        RunFiles.writeJson(path.resolve(CHECKPOINT), new Checkpoint(step, saved));
        writeCsv();
    }

    /**
     * Writes the running summary, and arranges that a SIGTERM or SIGINT while the run goes on marks
     * it "interrupted" at its last recorded step and says how to resume.
     */
    @Override
    public void onStart(Progress progress) {
        writeSummary("running", null, progress);
        if (onSignal == null) {
            onSignal = new Thread(() -> interruptedBySignal(progress), "betalab-interrupted");
            Runtime.getRuntime().addShutdownHook(onSignal);
        }
    }

    /**
     * What a SIGTERM or SIGINT does to a running run: its summary says interrupted, at the last step
     * recorded, and how to go on. The training thread may still be finishing a step meanwhile; nothing
     * it writes afterwards replaces this summary.
     */
    synchronized void interruptedBySignal(Progress progress) {
        int step = ((Number) last.getOrDefault("step", 0)).intValue();
        String how = resumeCommand == null ? "" : "; resume it with: " + resumeCommand;
        writeSummary("interrupted", "stopped by a signal after step " + step + how, progress);
        signalled = true;
        System.err.println("betalab: " + path + " interrupted after step " + step + how);
    }

    @Override
    public void onStepEnd(Progress progress) {
        Map<String, Object> row = progress.row();
        if (row.size() <= 2) {
            return;
        }
        Map<String, Object> finite = finite(row);
        try {
            Files.write(path.resolve(METRICS_JSONL), (LINE.writeValueAsString(finite) + "\n")
                    .getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path.resolve(METRICS_JSONL) + ": " + e.getMessage(), e);
        }
        remember(finite);
        if (headline != null && finite.containsKey(headline)) {
            writeSummary("running", null, progress);
        }
    }

    @Override
    public void onEnd(Progress progress, String status, RuntimeException error) {
        forgetSignal();
        writeCsv();
        if ("completed".equals(status)) {
            provenance.put("ended", Instant.now().toString());
            RunFiles.writeJson(path.resolve(PROVENANCE), provenance);
        }
        writeSummary(status, error == null ? null : error.getMessage(), progress);
    }

    /** The summary as last written. */
    public Summary summary() {
        return summary;
    }

    /** Writes {@code name} in the run directory as CSV: a header, then one line per row. */
    public void writeCsv(String name, List<String> header, List<List<?>> rows) {
        RunFiles.write(path.resolve(name), out -> {
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
            w.write(String.join(",", header));
            w.newLine();
            for (List<?> row : rows) {
                w.write(String.join(",", row.stream().map(String::valueOf).toList()));
                w.newLine();
            }
            w.flush();
        });
    }

    /** Writes {@code name} in the run directory as JSON. */
    public void writeJson(String name, Object value) {
        RunFiles.writeJson(path.resolve(name), value);
    }

    private void forget() {
        last = Map.of();
        lastEval = Map.of();
        bestEval = Map.of();
    }

    private void remember(Map<String, Object> row) {
        last = row;
        if (headline != null && row.get(headline) instanceof Number value) {
            lastEval = row;
            double v = value.doubleValue();
            double best = bestEval.isEmpty() ? Double.NaN : ((Number) bestEval.get(headline)).doubleValue();
            if (bestEval.isEmpty() || (higherIsBetter ? v > best : v < best)) {
                bestEval = row;
            }
        }
    }

    private synchronized void writeSummary(String status, String error, Progress progress) {
        if (signalled) {
            return;
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("status", status);
        if (error != null) {
            s.put("error", error);
        }
        s.put("steps_completed", ((Number) last.getOrDefault("step", 0)).intValue());
        s.put("steps", progress.steps());
        s.put("epochs_completed", progress.step() / progress.stepsPerEpoch());
        s.put("epochs", (progress.steps() + progress.stepsPerEpoch() - 1) / progress.stepsPerEpoch());
        s.putAll(details);
        s.put("last", last);
        s.put("last_eval", lastEval);
        s.put("best_eval", bestEval);
        RunFiles.writeJson(path.resolve(SUMMARY), s);
        summary = new Summary(path, status, ((Number) last.getOrDefault("step", 0)).intValue(),
                lastEval.isEmpty() ? last : lastEval, bestEval);
    }

    /** metrics.csv from metrics.jsonl: every column any row has, in order of first appearance. */
    private void writeCsv() {
        Set<String> columns = new LinkedHashSet<>();
        forEachRow(row -> columns.addAll(row.keySet()));
        RunFiles.write(path.resolve(METRICS_CSV), out -> {
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
            w.write(String.join(",", columns));
            w.newLine();
            IOException[] failed = new IOException[1];
            forEachRow(row -> {
                List<String> cells = new ArrayList<>();
                for (String c : columns) {
                    Object v = row.get(c);
                    cells.add(v == null ? "" : v.toString());
                }
                try {
                    w.write(String.join(",", cells));
                    w.newLine();
                } catch (IOException e) {
                    failed[0] = e;
                }
            });
            if (failed[0] != null) {
                throw failed[0];
            }
            w.flush();
        });
    }

    private void forEachRow(java.util.function.Consumer<Map<String, Object>> sink) {
        Path file = path.resolve(METRICS_JSONL);
        if (!Files.exists(file)) {
            return;
        }
        try (BufferedReader in = Files.newBufferedReader(file)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (!line.isBlank()) {
                    sink.accept(RunFiles.JSON.readValue(line, MAP));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The row without entries that have no value (NaN: β of flipped pairs when none were flipped). */
    private static Map<String, Object> finite(Map<String, Object> row) {
        Map<String, Object> out = new LinkedHashMap<>();
        row.forEach((k, v) -> {
            if (!(v instanceof Double d) || Double.isFinite(d)) {
                out.put(k, v);
            }
        });
        return out;
    }
}
