package betalab.experiments.train;

import betalab.experiments.Provenance;
import betalab.experiments.RunFiles;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A training run on disk. {@code config.json} holds the resolved config (every default filled in,
 * so the run replays from it alone), {@code provenance.json} what produced it, {@code metrics.csv}
 * and {@code metrics.jsonl} one row per step, {@code summary.json} the outcome, and
 * {@code checkpoint.json} the latest state to resume from; a completed run adds {@code pairs.csv},
 * each training pair's final margin and β. Every file is replaced atomically, and
 * the metrics are written with each checkpoint, so the files on disk always agree with each other.
 */
public final class RunDirectory {
    static final String CONFIG = "config.json";
    static final String PROVENANCE = "provenance.json";
    static final String METRICS_CSV = "metrics.csv";
    static final String METRICS_JSONL = "metrics.jsonl";
    static final String SUMMARY = "summary.json";
    static final String CHECKPOINT = "checkpoint.json";
    static final String PAIRS = "pairs.csv";

    private final Path path;
    private final TrainConfig config;
    private final Map<String, Object> provenance;

    /**
     * The latest state of a run.
     *
     * @param step the last step completed
     * @param order the current epoch's order of training pairs
     */
    public record Checkpoint(int step, int[] order, Map<String, double[]> policy, Map<String, double[]> reference,
                             Map<String, double[]> beta, Map<String, double[]> optimizer, Map<String, double[]> rng) {
    }

    /** What a run ended with. */
    public record Summary(Path path, String status, int steps, Map<String, Object> last, Map<String, Object> best) {
    }

    private RunDirectory(Path path, TrainConfig config, Map<String, Object> provenance) {
        this.path = path;
        this.config = config;
        this.provenance = provenance;
    }

    /** Fails when {@code dir} already holds a run. */
    static void refuseExisting(Path dir) {
        if (Files.exists(dir.resolve(CONFIG))) {
            throw new IllegalArgumentException(dir + " already holds a run; resume it with --resume " + dir
                    + " or choose another directory");
        }
    }

    /** A new run in {@code dir}; refuses a directory that already holds one. */
    static RunDirectory create(Path dir, TrainConfig config, List<String> extensions) {
        refuseExisting(dir);
        Map<String, Object> provenance = new LinkedHashMap<>(Provenance.of(extensions));
        provenance.put("seed", config.seed());
        provenance.put("started", Instant.now().toString());
        RunDirectory run = new RunDirectory(dir, config, provenance);
        RunFiles.writeJson(dir.resolve(CONFIG), config);
        RunFiles.writeJson(dir.resolve(PROVENANCE), provenance);
        return run;
    }

    /** An existing run, to resume. */
    static RunDirectory open(Path dir) {
        Path config = dir.resolve(CONFIG);
        if (!Files.exists(config)) {
            throw new IllegalArgumentException(dir + " holds no run (no " + CONFIG + ")");
        }
        try {
            Map<String, Object> provenance = RunFiles.JSON.readValue(dir.resolve(PROVENANCE).toFile(),
                    new TypeReference<Map<String, Object>>() { });
            return new RunDirectory(dir, ConfigReader.read(config), provenance);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve(PROVENANCE) + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    TrainConfig config() {
        return config;
    }

    /** The latest checkpoint, or null when the run stopped before its first. */
    Checkpoint checkpoint() {
        Path file = path.resolve(CHECKPOINT);
        if (!Files.exists(file)) {
            return null;
        }
        try {
            return RunFiles.JSON.readValue(file.toFile(), Checkpoint.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The logged rows up to and including {@code step}. */
    List<Map<String, Object>> metricsUpTo(int step) {
        List<Map<String, Object>> rows = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(path.resolve(METRICS_JSONL))) {
                Map<String, Object> row = RunFiles.JSON.readValue(line, new TypeReference<Map<String, Object>>() { });
                if (((Number) row.get("step")).intValue() <= step) {
                    rows.add(row);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path.resolve(METRICS_JSONL) + ": " + e.getMessage(), e);
        }
        return rows;
    }

    void saveCheckpoint(Checkpoint checkpoint, List<Map<String, Object>> rows) {
        writeMetrics(rows);
        RunFiles.writeJson(path.resolve(CHECKPOINT), checkpoint);
        writeSummary("running", rows, null);
    }

    Summary complete(List<Map<String, Object>> rows) {
        writeMetrics(rows);
        provenance.put("ended", Instant.now().toString());
        RunFiles.writeJson(path.resolve(PROVENANCE), provenance);
        return writeSummary("completed", rows, null);
    }

    Summary summary(List<Map<String, Object>> rows, String status) {
        return writeSummary(status, rows, null);
    }

    /** Records that the run stopped on an error; the metrics so far stay. */
    void fail(String error, List<Map<String, Object>> rows) {
        writeMetrics(rows);
        writeSummary("failed", rows, error);
    }

    /** pairs.csv: margin, beta, flipped for every training pair. */
    void writePairs(double[] margin, double[] beta, boolean[] flipped) {
        RunFiles.write(path.resolve(PAIRS), out -> {
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
            w.write("margin,beta,flipped");
            w.newLine();
            for (int i = 0; i < margin.length; i++) {
                w.write(margin[i] + "," + beta[i] + "," + flipped[i]);
                w.newLine();
            }
            w.flush();
        });
    }

    private Summary writeSummary(String status, List<Map<String, Object>> rows, String error) {
        Map<String, Object> last = rows.isEmpty() ? Map.of() : rows.get(rows.size() - 1);
        Map<String, Object> lastEval = new LinkedHashMap<>();
        Map<String, Object> best = new LinkedHashMap<>();
        for (Map<String, Object> row : rows) {
            if (row.containsKey("eval/true_reward")) {
                lastEval = row;
                if (best.isEmpty() || (double) row.get("eval/true_reward") > (double) best.get("eval/true_reward")) {
                    best = row;
                }
            }
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("status", status);
        if (error != null) {
            summary.put("error", error);
        }
        summary.put("steps_completed", last.getOrDefault("step", 0));
        summary.put("steps", config.steps());
        summary.put("last", finite(last));
        summary.put("last_eval", finite(lastEval));
        summary.put("best_eval", finite(best));
        RunFiles.writeJson(path.resolve(SUMMARY), summary);
        return new Summary(path, status, ((Number) last.getOrDefault("step", 0)).intValue(), finite(lastEval),
                finite(best));
    }

    private void writeMetrics(List<Map<String, Object>> rows) {
        Set<String> columns = new LinkedHashSet<>();
        rows.forEach(r -> columns.addAll(r.keySet()));
        RunFiles.write(path.resolve(METRICS_CSV), out -> {
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
            w.write(String.join(",", columns));
            w.newLine();
            for (Map<String, Object> row : rows) {
                List<String> cells = new ArrayList<>();
                for (String c : columns) {
                    Object v = row.get(c);
                    cells.add(v == null || (v instanceof Double d && !Double.isFinite(d)) ? "" : v.toString());
                }
                w.write(String.join(",", cells));
                w.newLine();
            }
            w.flush();
        });
        RunFiles.write(path.resolve(METRICS_JSONL), out -> {
            for (Map<String, Object> row : rows) {
                out.write(RunFiles.JSON.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsBytes(finite(row)));
                out.write('\n');
            }
        });
    }

    /** The row without entries that have no value (NaN: e.g. β of flipped pairs when none were flipped). */
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
