package betalab.data.fit;

import betalab.training.RunFiles;
import betalab.training.RunDirectory;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An offline fit's run directory, laid out as a training run's: {@code config.json} (the resolved
 * config), {@code provenance.json}, {@code metrics.csv} and {@code metrics.jsonl} (one row per
 * logging interval and one per evaluation), {@code summary.json}, and {@code beta.json}, the fitted
 * β scheme's state. Metrics rows are appended as they come, so a run of any length keeps none in
 * memory; the other files are replaced whole.
 */
final class FitRun implements AutoCloseable {
    static final String CONFIG = "config.json";
    static final String PROVENANCE = "provenance.json";
    static final String METRICS_CSV = "metrics.csv";
    static final String METRICS_JSONL = "metrics.jsonl";
    static final String SUMMARY = "summary.json";
    static final String BETA = "beta.json";
    static final String EVAL_LOSS = "eval/loss";

    private static final ObjectWriter LINE = RunFiles.JSON.writer().without(SerializationFeature.INDENT_OUTPUT);

    private final Path path;
    private final List<String> columns;
    private final Map<String, Object> provenance;
    private final BufferedWriter csv;
    private final BufferedWriter jsonl;
    private Map<String, Object> last = Map.of();
    private Map<String, Object> lastEval = Map.of();
    private Map<String, Object> bestEval = Map.of();

    private FitRun(Path path, List<String> columns, Map<String, Object> provenance) throws IOException {
        this.path = path;
        this.columns = columns;
        this.provenance = provenance;
        csv = Files.newBufferedWriter(path.resolve(METRICS_CSV), StandardCharsets.UTF_8);
        jsonl = Files.newBufferedWriter(path.resolve(METRICS_JSONL), StandardCharsets.UTF_8);
        csv.write(String.join(",", columns));
        csv.newLine();
    }

    /** A new run in {@code dir}, which must not hold one; {@code columns} are every metric a row may have. */
    static FitRun create(Path dir, FitConfig config, Map<String, Object> provenance, List<String> columns) {
        if (Files.exists(dir.resolve(CONFIG))) {
            throw new IllegalArgumentException(dir + " already holds a run; choose another directory");
        }
        RunFiles.writeJson(dir.resolve(CONFIG), config);
        Map<String, Object> p = new LinkedHashMap<>(provenance);
        p.put("started", Instant.now().toString());
        RunFiles.writeJson(dir.resolve(PROVENANCE), p);
        try {
            return new FitRun(dir, columns, p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir + ": " + e.getMessage(), e);
        }
    }

    Path path() {
        return path;
    }

    /** Appends a row; rows with {@value #EVAL_LOSS} are evaluations, the best the one where it is lowest. */
    void log(Map<String, Object> row) {
        List<String> cells = new ArrayList<>();
        for (String c : columns) {
            Object v = row.get(c);
            cells.add(v == null ? "" : v.toString());
        }
        try {
            csv.write(String.join(",", cells));
            csv.newLine();
            jsonl.write(LINE.writeValueAsString(row));
            jsonl.newLine();
            csv.flush();
            jsonl.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path + ": " + e.getMessage(), e);
        }
        if (row.containsKey(EVAL_LOSS)) {
            lastEval = row;
            if (bestEval.isEmpty() || (double) row.get(EVAL_LOSS) < (double) bestEval.get(EVAL_LOSS)) {
                bestEval = row;
            }
        } else {
            last = row;
        }
    }

    /**
     * Writes the summary: {@code status}, the {@code error} if there is one, {@code progress} (counts
     * of epochs, steps and pairs), and the last training row, the last evaluation and the best one.
     */
    RunDirectory.Summary summary(String status, String error, Map<String, Object> progress) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("status", status);
        if (error != null) {
            summary.put("error", error);
        }
        summary.putAll(progress);
        summary.put("last", last);
        summary.put("last_eval", lastEval);
        summary.put("best_eval", bestEval);
        RunFiles.writeJson(path.resolve(SUMMARY), summary);
        int steps = ((Number) last.getOrDefault("step", 0)).intValue();
        return new RunDirectory.Summary(path, status, steps, lastEval.isEmpty() ? last : lastEval, bestEval);
    }

    /** Records the end of the run and the fitted β. */
    void complete(Map<String, double[]> betaState) {
        RunFiles.writeJson(path.resolve(BETA), betaState);
        provenance.put("ended", Instant.now().toString());
        RunFiles.writeJson(path.resolve(PROVENANCE), provenance);
    }

    @Override
    public void close() {
        try {
            csv.close();
            jsonl.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path + ": " + e.getMessage(), e);
        }
    }
}
