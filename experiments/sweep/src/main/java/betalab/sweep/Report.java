package betalab.sweep;

import betalab.training.PreferenceTraining;
import betalab.training.RunFiles;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A sweep's results on disk: {@code results.csv} and {@code results.json} (one row per run),
 * {@code aggregate.csv} and {@code aggregate.md} (per cell over seeds), {@code paired.csv} and
 * {@code paired.md} (each method against the baseline, seed by seed), {@code plots/*.png}, and
 * {@code report.html}, which shows them together, links every run directory and needs no network.
 */
public final class Report {
    public static final String HTML = "report.html";

    /** What was written: the report, and the tables as Markdown for printing. */
    public record Written(Path html, List<RunResult> results, String aggregate, String paired, List<String> plots) {
    }

    private Report() {
    }

    /** Reads every run's outcome from {@code sweepDir} and writes the results, tables, plots and report. */
    public static Written write(SweepConfig config, Path sweepDir) {
        List<RunResult> results = Results.collect(config, sweepDir);
        Table runs = Results.table(config, results);
        runs.writeCsv(sweepDir.resolve("results.csv"));
        RunFiles.writeJson(sweepDir.resolve("results.json"), Results.json(results));

        List<Aggregate.Cell> cells = Aggregate.cells(config, results);
        Aggregate.cellsCsv(config, cells).writeCsv(sweepDir.resolve("aggregate.csv"));
        Table aggregate = Aggregate.cellsReadable(config, cells);
        aggregate.writeMarkdown(sweepDir.resolve("aggregate.md"));
        List<Aggregate.Paired> pairs = Aggregate.paired(config, results);
        Table paired = Aggregate.pairedReadable(config, pairs);
        if (!pairs.isEmpty()) {
            Aggregate.pairedCsv(config, pairs).writeCsv(sweepDir.resolve("paired.csv"));
            paired.writeMarkdown(sweepDir.resolve("paired.md"));
        }
        List<Plots.Plot> plots = Plots.draw(config, results, sweepDir);

        Path html = sweepDir.resolve(HTML);
        Table.write(html, html(config, sweepDir, results, aggregate, pairs.isEmpty() ? null : paired, plots));
        return new Written(html, results, aggregate.markdown(), pairs.isEmpty() ? "" : paired.markdown(),
                plots.stream().map(Plots.Plot::file).toList());
    }

    private static String html(SweepConfig config, Path sweepDir, List<RunResult> results, Table aggregate,
                               Table paired, List<Plots.Plot> plots) {
        long completed = results.stream().filter(RunResult::completed).count();
        long failed = results.stream().filter(r -> r.status().equals("failed")).count();
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
                .append(escape(config.name())).append("</title>\n<style>\n")
                .append("body{font-family:sans-serif;margin:2em;max-width:1400px;color:#222}")
                .append("table{border-collapse:collapse;margin:1em 0;font-size:13px}")
                .append("th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f3f3f3}")
                .append("tr:nth-child(even) td{background:#fafafa}figure{display:inline-block;margin:0.5em}")
                .append("img{width:640px;border:1px solid #ddd}.failed{color:#b00}\n</style>\n</head>\n<body>\n");
        b.append("<h1>").append(escape(config.name())).append("</h1>\n<p>")
                .append(escape(config.kind().label())).append(" sweep, ").append(results.size()).append(" runs: ")
                .append(completed).append(" completed, ").append(failed).append(" failed, ")
                .append(results.size() - completed - failed).append(" not finished. Written ")
                .append(escape(Instant.now().toString())).append(".</p>\n");

        b.append("<h2>Files</h2>\n<ul>\n");
        try (Stream<Path> files = Files.list(sweepDir)) {
            for (Path f : files.filter(Files::isRegularFile).map(Path::getFileName).sorted().toList()) {
                if (!f.toString().equals(HTML) && !f.toString().startsWith(".")) {
                    b.append("<li><a href=\"").append(escape(f.toString())).append("\">").append(escape(f.toString()))
                            .append("</a></li>\n");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + sweepDir + ": " + e.getMessage(), e);
        }
        b.append("</ul>\n");

        b.append("<h2>Per cell, over seeds</h2>\n<p>Each metric at the end of training: mean ± sample standard "
                + "deviation [95% confidence interval, t with n − 1 degrees of freedom]. Rows are sorted by the swept "
                + "fields, then best first by ").append(escape(config.metrics().get(0))).append(".</p>\n")
                .append(aggregate.html());
        if (paired != null) {
            b.append("<h2>Paired against ").append(escape(config.baseline())).append("</h2>\n<p>Per seed, the "
                    + "method's value minus the baseline's on the same seed (same data, same initial policy); mean "
                    + "[95% confidence interval]. A difference is claimed only when its interval excludes zero.</p>\n")
                    .append(paired.html());
        }
        if (!plots.isEmpty()) {
            b.append("<h2>Plots</h2>\n");
            for (Plots.Plot p : plots) {
                b.append("<figure><a href=\"").append(escape(p.file())).append("\"><img src=\"")
                        .append(escape(p.file())).append("\" alt=\"").append(escape(p.title()))
                        .append("\"></a><figcaption>").append(escape(p.title())).append("</figcaption></figure>\n");
            }
        }

        b.append("<h2>Runs</h2>\n<table>\n<thead><tr><th>run</th><th>status</th><th>")
                .append(escape(config.metrics().get(0))).append("</th><th>error</th></tr></thead>\n<tbody>\n");
        for (RunResult r : results) {
            String dir = Sweep.RUNS + "/" + r.run().id();
            boolean exists = Files.isDirectory(sweepDir.resolve(dir));
            Double primary = r.last().get(config.metrics().get(0));
            b.append("<tr><td>").append(exists ? "<a href=\"" + escape(dir) + "/\">" + escape(r.run().id()) + "</a>"
                            : escape(r.run().id())).append("</td><td")
                    .append(r.status().equals("failed") ? " class=\"failed\"" : "").append(">")
                    .append(escape(r.status())).append("</td><td>")
                    .append(primary == null ? "" : Aggregate.fmt(primary)).append("</td><td>")
                    .append(r.error() == null ? "" : escape(r.error())).append("</td></tr>\n");
        }
        b.append("</tbody>\n</table>\n");
        samples(b, sweepDir, results);
        b.append("</body>\n</html>\n");
        return b.toString();
    }

    /**
     * The examples each run's task showed at its last evaluation (sampled completions of fixed prompts,
     * say), one folded table per run; nothing where the task shows none.
     */
    private static void samples(StringBuilder b, Path sweepDir, List<RunResult> results) {
        StringBuilder runs = new StringBuilder();
        for (RunResult r : results) {
            Path folder = sweepDir.resolve(Sweep.RUNS).resolve(r.run().id()).resolve(PreferenceTraining.SAMPLES);
            if (!Files.isDirectory(folder)) {
                continue;
            }
            Path last;
            try (Stream<Path> files = Files.list(folder)) {
                last = files.filter(f -> f.getFileName().toString().endsWith(".json")).max(Path::compareTo).orElse(null);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + folder + ": " + e.getMessage(), e);
            }
            if (last == null) {
                continue;
            }
            List<Map<String, Object>> rows;
            try {
                rows = RunFiles.JSON.readValue(last.toFile(), new TypeReference<List<Map<String, Object>>>() { });
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + last + ": " + e.getMessage(), e);
            }
            Set<String> columns = new LinkedHashSet<>();
            rows.forEach(row -> columns.addAll(row.keySet()));
            String step = last.getFileName().toString().replaceAll("\\D", "").replaceFirst("^0+(?=.)", "");
            runs.append("<details><summary>").append(escape(r.run().id())).append(", step ").append(step)
                    .append("</summary>\n<table>\n<thead><tr>");
            columns.forEach(c -> runs.append("<th>").append(escape(c)).append("</th>"));
            runs.append("</tr></thead>\n<tbody>\n");
            for (Map<String, Object> row : rows) {
                runs.append("<tr>");
                for (String c : columns) {
                    Object v = row.get(c);
                    runs.append("<td>").append(v == null ? "" : escape(v instanceof Number n
                            ? Aggregate.fmt(n.doubleValue()) : String.valueOf(v))).append("</td>");
                }
                runs.append("</tr>\n");
            }
            runs.append("</tbody>\n</table>\n</details>\n");
        }
        if (runs.length() > 0) {
            b.append("<h2>Samples</h2>\n<p>What each run's task showed at its last evaluation.</p>\n").append(runs);
        }
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
