package betalab.sweep;

import betalab.training.RunFiles;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Every run's outcome read back from its directory, and the tidy tables of them. */
final class Results {
    private Results() {
    }

    /** One result per run of the sweep, in run order; a run that never started is "pending". */
    static List<RunResult> collect(SweepConfig config, Path sweepDir) {
        List<RunResult> out = new ArrayList<>();
        for (SweepRun run : config.runs()) {
            JsonNode summary = Sweep.summary(Sweep.runDirectory(sweepDir, run));
            if (summary == null) {
                out.add(new RunResult(run, "pending", null, Map.of(), Map.of()));
            } else {
                String error = summary.hasNonNull("error") ? summary.get("error").asText() : null;
                out.add(new RunResult(run, summary.path("status").asText("unknown"), error,
                        numbers(summary.path("last_eval")), numbers(summary.path("best_eval"))));
            }
        }
        return out;
    }

    /**
     * results.csv: one row per run with its status, every swept field, the seed, its final metrics
     * ({@code final/...}), the headline metrics at its best step ({@code best/...}), the error and its directory.
     */
    static Table table(SweepConfig config, List<RunResult> results) {
        Set<String> finals = new LinkedHashSet<>();
        Set<String> bests = new LinkedHashSet<>();
        for (RunResult r : results) {
            finals.addAll(r.last().keySet());
            r.best().keySet().stream().filter(k -> k.equals("step") || config.metrics().contains(k)).forEach(bests::add);
        }
        List<String> header = new ArrayList<>(List.of("id", "status"));
        header.addAll(config.columns());
        header.add("seed");
        finals.forEach(k -> header.add("final/" + k));
        bests.forEach(k -> header.add("best/" + k));
        header.addAll(List.of("error", "dir"));
        List<List<String>> rows = new ArrayList<>();
        for (RunResult r : results) {
            List<String> row = new ArrayList<>(List.of(r.run().id(), r.status()));
            row.addAll(r.run().fields().values());
            row.add(Long.toString(r.run().seed()));
            finals.forEach(k -> row.add(cell(r.last().get(k))));
            bests.forEach(k -> row.add(cell(r.best().get(k))));
            row.add(r.error() == null ? "" : r.error());
            row.add(Sweep.RUNS + "/" + r.run().id());
            rows.add(row);
        }
        return new Table(header, rows);
    }

    /** results.json: the same as results.csv, with the fields and metrics as objects. */
    static List<Map<String, Object>> json(List<RunResult> results) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (RunResult r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", r.run().id());
            m.put("dir", Sweep.RUNS + "/" + r.run().id());
            m.put("status", r.status());
            if (r.error() != null) {
                m.put("error", r.error());
            }
            m.put("fields", r.run().fields());
            m.put("seed", r.run().seed());
            m.put("final", r.last());
            m.put("best", r.best());
            out.add(m);
        }
        return out;
    }

    /**
     * The rows of a run's metrics.jsonl that hold any of {@code keys}, with just those keys and
     * the step; empty when the run has no such file.
     */
    static List<Map<String, Double>> curve(Path runDir, Collection<String> keys) {
        Path file = runDir.resolve("metrics.jsonl");
        if (!Files.exists(file)) {
            return List.of();
        }
        List<Map<String, Double>> rows = new ArrayList<>();
        try (var lines = Files.lines(file)) {
            for (String line : (Iterable<String>) lines::iterator) {
                // Most rows are training steps without the keys; skip them before parsing.
                if (keys.stream().noneMatch(k -> line.contains("\"" + k + "\""))) {
                    continue;
                }
                JsonNode row = RunFiles.JSON.readTree(line);
                Map<String, Double> kept = new LinkedHashMap<>();
                kept.put("step", row.path("step").asDouble());
                keys.stream().filter(row::has).forEach(k -> kept.put(k, row.get(k).asDouble()));
                rows.add(kept);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return rows;
    }

    private static Map<String, Double> numbers(JsonNode row) {
        Map<String, Double> out = new LinkedHashMap<>();
        row.fields().forEachRemaining(e -> {
            if (e.getValue().isNumber()) {
                out.put(e.getKey(), e.getValue().asDouble());
            }
        });
        return out;
    }

    private static String cell(Double v) {
        return v == null ? "" : v.toString();
    }
}
