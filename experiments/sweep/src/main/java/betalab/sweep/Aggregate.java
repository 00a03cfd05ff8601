package betalab.sweep;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The statistics of a sweep: per cell, each headline metric over the completed seeds; and per
 * method, its paired difference from the baseline seed by seed, in every setting of the other fields.
 */
final class Aggregate {
    private Aggregate() {
    }

    /** A cell's completed runs and each metric's statistics over them. */
    record Cell(Map<String, String> fields, int seeds, int failed, Map<String, Stats.Summary> stats) {
    }

    /**
     * A method against the baseline in one setting of the other fields: for each metric, the
     * differences method − baseline of the seeds both completed.
     */
    record Paired(String method, String baseline, Map<String, String> setting, Map<String, Stats.Summary> diffs) {
    }

    /** Every cell, sorted by the swept fields other than the method, then best first by the first metric. */
    static List<Cell> cells(SweepConfig config, List<RunResult> results) {
        Map<String, List<RunResult>> byCell = new LinkedHashMap<>();
        results.forEach(r -> byCell.computeIfAbsent(r.run().cell(), c -> new ArrayList<>()).add(r));
        List<Cell> cells = new ArrayList<>();
        for (List<RunResult> runs : byCell.values()) {
            List<RunResult> done = runs.stream().filter(RunResult::completed).toList();
            Map<String, Stats.Summary> stats = new LinkedHashMap<>();
            for (String metric : config.metrics()) {
                stats.put(metric, Stats.of(done.stream().filter(r -> r.last().containsKey(metric))
                        .mapToDouble(r -> r.last().get(metric)).toArray()));
            }
            int failed = (int) runs.stream().filter(r -> r.status().equals("failed")).count();
            cells.add(new Cell(runs.get(0).run().fields(), done.size(), failed, stats));
        }
        String primary = config.metrics().get(0);
        Comparator<Cell> order = Comparator.comparing(Cell::fields, Aggregate::compareSettings);
        cells.sort(order.thenComparing(c -> -orLowest(c.stats().get(primary).mean())));
        return cells;
    }

    /** Each method other than the baseline against it, in every setting both ran. */
    static List<Paired> paired(SweepConfig config, List<RunResult> results) {
        String baseline = config.baseline();
        if (baseline == null) {
            return List.of();
        }
        // method → setting (the other fields) → seed → final metrics
        Map<String, Map<Map<String, String>, Map<Long, Map<String, Double>>>> index = new LinkedHashMap<>();
        for (RunResult r : results) {
            if (r.completed()) {
                index.computeIfAbsent(r.run().method(), m -> new LinkedHashMap<>())
                        .computeIfAbsent(setting(r.run().fields()), s -> new LinkedHashMap<>())
                        .put(r.run().seed(), r.last());
            }
        }
        Map<Map<String, String>, Map<Long, Map<String, Double>>> base = index.getOrDefault(baseline, Map.of());
        List<Paired> out = new ArrayList<>();
        for (String method : config.methods()) {
            if (method.equals(baseline)) {
                continue;
            }
            index.getOrDefault(method, Map.of()).forEach((setting, bySeed) -> {
                Map<Long, Map<String, Double>> other = base.get(setting);
                if (other == null) {
                    return;
                }
                Map<String, Stats.Summary> diffs = new LinkedHashMap<>();
                for (String metric : config.metrics()) {
                    diffs.put(metric, Stats.paired(values(bySeed, metric), values(other, metric)));
                }
                out.add(new Paired(method, baseline, setting, diffs));
            });
        }
        out.sort(Comparator.comparing(Paired::setting, Aggregate::compareSettings));
        return out;
    }

    /** aggregate.csv: per cell and metric, n, mean, sd and the 95% interval, unrounded. */
    static Table cellsCsv(SweepConfig config, List<Cell> cells) {
        List<String> header = new ArrayList<>(config.columns());
        header.addAll(List.of("seeds", "failed"));
        for (String m : config.metrics()) {
            header.addAll(List.of(m + "/n", m + "/mean", m + "/sd", m + "/ci95_low", m + "/ci95_high"));
        }
        List<List<String>> rows = new ArrayList<>();
        for (Cell c : cells) {
            List<String> row = new ArrayList<>(c.fields().values());
            row.addAll(List.of(Integer.toString(c.seeds()), Integer.toString(c.failed())));
            for (String m : config.metrics()) {
                Stats.Summary s = c.stats().get(m);
                row.addAll(List.of(Integer.toString(s.n()), raw(s.mean()), raw(s.sd()), raw(s.low()), raw(s.high())));
            }
            rows.add(row);
        }
        return new Table(header, rows);
    }

    /** The aggregate as people read it: "mean ± sd [95% CI]" per metric, with the number of seeds. */
    static Table cellsReadable(SweepConfig config, List<Cell> cells) {
        List<String> header = new ArrayList<>(config.columns());
        header.add("seeds");
        header.addAll(config.metrics());
        List<List<String>> rows = new ArrayList<>();
        for (Cell c : cells) {
            List<String> row = new ArrayList<>(c.fields().values());
            row.add(c.seeds() + (c.failed() > 0 ? " (" + c.failed() + " failed)" : ""));
            for (String m : config.metrics()) {
                Stats.Summary s = c.stats().get(m);
                row.add(s.n() == 0 ? "–" : s.n() == 1 ? fmt(s.mean())
                        : fmt(s.mean()) + " ± " + fmt(s.sd()) + " [" + fmt(s.low()) + ", " + fmt(s.high()) + "]");
            }
            rows.add(row);
        }
        return new Table(header, rows);
    }

    /** paired.csv: per method, setting and metric, the number of pairs and the difference's statistics. */
    static Table pairedCsv(SweepConfig config, List<Paired> paired) {
        List<String> header = new ArrayList<>(List.of("method", "baseline"));
        header.addAll(settingColumns(config));
        for (String m : config.metrics()) {
            header.addAll(List.of(m + "/pairs", m + "/mean_diff", m + "/sd", m + "/ci95_low", m + "/ci95_high"));
        }
        List<List<String>> rows = new ArrayList<>();
        for (Paired p : paired) {
            List<String> row = new ArrayList<>(List.of(p.method(), p.baseline()));
            row.addAll(p.setting().values());
            for (String m : config.metrics()) {
                Stats.Summary s = p.diffs().get(m);
                row.addAll(List.of(Integer.toString(s.n()), raw(s.mean()), raw(s.sd()), raw(s.low()), raw(s.high())));
            }
            rows.add(row);
        }
        return new Table(header, rows);
    }

    /**
     * The paired differences as people read them: "mean [95% CI]" per metric, and a verdict on the
     * first metric that is only a difference when its interval excludes zero.
     */
    static Table pairedReadable(SweepConfig config, List<Paired> paired) {
        String primary = config.metrics().get(0);
        List<String> header = new ArrayList<>(List.of("method − baseline"));
        header.addAll(settingColumns(config));
        header.add("pairs");
        config.metrics().forEach(m -> header.add("Δ " + m));
        header.add("on " + primary);
        List<List<String>> rows = new ArrayList<>();
        for (Paired p : paired) {
            List<String> row = new ArrayList<>(List.of(p.method() + " − " + p.baseline()));
            row.addAll(p.setting().values());
            row.add(Integer.toString(p.diffs().get(primary).n()));
            for (String m : config.metrics()) {
                Stats.Summary s = p.diffs().get(m);
                row.add(s.n() < 2 ? (s.n() == 1 ? signed(s.mean()) : "–")
                        : signed(s.mean()) + " [" + signed(s.low()) + ", " + signed(s.high()) + "]");
            }
            Stats.Summary s = p.diffs().get(primary);
            row.add(s.n() < 2 ? "too few pairs"
                    : s.sign() > 0 ? "higher" : s.sign() < 0 ? "lower" : "no clear difference");
            rows.add(row);
        }
        return new Table(header, rows);
    }

    private static List<String> settingColumns(SweepConfig config) {
        return config.columns().stream().filter(c -> !c.equals(SweepRun.METHOD)).toList();
    }

    private static Map<String, String> setting(Map<String, String> fields) {
        Map<String, String> s = new LinkedHashMap<>(fields);
        s.remove(SweepRun.METHOD);
        return s;
    }

    private static Map<Long, Double> values(Map<Long, Map<String, Double>> bySeed, String metric) {
        Map<Long, Double> out = new LinkedHashMap<>();
        bySeed.forEach((seed, last) -> {
            if (last.containsKey(metric)) {
                out.put(seed, last.get(metric));
            }
        });
        return out;
    }

    /** Field by field, skipping the method: numerically where both values are numbers, else as text. */
    private static int compareSettings(Map<String, String> a, Map<String, String> b) {
        for (Map.Entry<String, String> e : a.entrySet()) {
            if (e.getKey().equals(SweepRun.METHOD)) {
                continue;
            }
            String x = e.getValue();
            String y = b.getOrDefault(e.getKey(), "");
            int c;
            try {
                c = Double.compare(Double.parseDouble(x), Double.parseDouble(y));
            } catch (NumberFormatException notNumbers) {
                c = x.compareTo(y);
            }
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static double orLowest(double v) {
        return Double.isNaN(v) ? Double.NEGATIVE_INFINITY : v;
    }

    private static String raw(double v) {
        return Double.isNaN(v) ? "" : Double.toString(v);
    }

    /** Four significant digits: enough to compare cells, few enough to read. */
    static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        return v == 0 || Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5
                ? String.format(Locale.ROOT, "%.4g", v).replaceFirst("(\\.\\d*?)0+$", "$1").replaceFirst("\\.$", "")
                : String.format(Locale.ROOT, "%.3e", v);
    }

    private static String signed(double v) {
        return (v > 0 ? "+" : "") + fmt(v);
    }
}
