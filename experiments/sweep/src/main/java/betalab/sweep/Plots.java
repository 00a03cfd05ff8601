package betalab.sweep;

import betalab.training.RunFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Paint;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * The sweep's plots, as PNG files drawn by JFreeChart: learning curves with seed bands, β of clean
 * and flipped pairs over training, β against the margin at the end, true reward against KL to the
 * reference, and each headline metric against the x field with 95% intervals. A series is a
 * "group": the run's method and swept fields other than the seed and the x field, which instead
 * splits plots into panels. A group keeps its colour in every plot.
 */
final class Plots {
    static {
        // Charts are drawn off-screen; no display is needed or wanted.
        System.setProperty("java.awt.headless", "true");
    }

    /** One plot file, relative to the sweep directory. */
    record Plot(String file, String title) {
    }

    private static final String BETA_CLEAN = "eval/beta_clean";
    private static final String BETA_FLIPPED = "eval/beta_flipped";
    private static final String REWARD = "eval/true_reward";
    private static final String KL = "eval/kl_ref";
    /** Points per series in a scatter; more only hide each other. */
    private static final int MAX_POINTS = 4000;
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
            new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
            new Color(0xbcbd22), new Color(0x17becf)};
    private static final BasicStroke SOLID = new BasicStroke(2f);
    private static final BasicStroke DASHED = new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
            new float[] {6f, 4f}, 0f);

    private final SweepConfig config;
    private final Path sweepDir;
    private final List<RunResult> completed;
    private final List<String> groups;
    private final List<String> panels;
    private final Map<RunResult, List<Map<String, Double>>> curves = new LinkedHashMap<>();
    private final List<Plot> plots = new ArrayList<>();

    private Plots(SweepConfig config, List<RunResult> results, Path sweepDir) {
        this.config = config;
        this.sweepDir = sweepDir;
        this.completed = results.stream().filter(RunResult::completed).toList();
        this.groups = completed.stream().map(this::group).distinct().toList();
        this.panels = completed.stream().map(this::panel).distinct().toList();
        Set<String> keys = Set.copyOf(List.of(config.kind().curveMetric(), BETA_CLEAN, BETA_FLIPPED, REWARD, KL));
        completed.forEach(r -> curves.put(r, Results.curve(Sweep.runDirectory(sweepDir, r.run()), keys)));
    }

    /** Draws every plot the results allow into {@code <sweepDir>/plots} and lists them. */
    static List<Plot> draw(SweepConfig config, List<RunResult> results, Path sweepDir) {
        Plots p = new Plots(config, results, sweepDir);
        if (p.completed.isEmpty()) {
            return List.of();
        }
        // Plots of one kind together, a panel each.
        p.panels.forEach(p::learningCurves);
        p.panels.forEach(p::frontier);
        p.panels.forEach(p::betaTrajectories);
        p.panels.forEach(p::betaAgainstMargin);
        p.rewardAgainstKl();
        if (config.x() != null) {
            config.metrics().forEach(p::metricAgainstX);
        }
        return List.copyOf(p.plots);
    }

    private void learningCurves(String panel) {
        String metric = config.kind().curveMetric();
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        List<Paint> paints = new ArrayList<>();
        byGroup(panel).forEach((group, runs) -> {
            if (band(data, group, runs, metric)) {
                paints.add(colour(group));
            }
        });
        if (data.getSeriesCount() == 0) {
            return;
        }
        JFreeChart chart = ChartFactory.createXYLineChart(metric + " over training (mean ± sd over seeds)"
                + panelTitle(panel), "step", metric, data);
        bands(chart, paints, List.of());
        save(chart, "curves_" + slug(metric) + panelFile(panel));
    }

    /**
     * β of clean and of flipped training pairs (dashed), mean ± sd over seeds, as training goes.
     * Groups whose β never moves (a fixed β) are left out: they are flat lines that hide the others.
     */
    private void betaTrajectories(String panel) {
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        List<Paint> paints = new ArrayList<>();
        List<Integer> dashed = new ArrayList<>();
        byGroup(panel).forEach((group, runs) -> {
            double[] betas = runs.stream().flatMap(r -> curves.get(r).stream())
                    .flatMap(row -> Stream.of(row.get(BETA_CLEAN), row.get(BETA_FLIPPED)))
                    .filter(b -> b != null).mapToDouble(Double::doubleValue).toArray();
            if (betas.length == 0
                    || Arrays.stream(betas).min().getAsDouble() == Arrays.stream(betas).max().getAsDouble()) {
                return;
            }
            if (band(data, prefix(group) + "clean", runs, BETA_CLEAN)) {
                paints.add(colour(group));
            }
            if (band(data, prefix(group) + "flipped", runs, BETA_FLIPPED)) {
                dashed.add(paints.size());
                paints.add(colour(group));
            }
        });
        if (data.getSeriesCount() == 0) {
            return;
        }
        JFreeChart chart = ChartFactory.createXYLineChart("β of clean (solid) and flipped (dashed) training pairs, "
                + "mean ± sd over seeds" + panelTitle(panel), "step", "mean β over the pairs", data);
        bands(chart, paints, dashed);
        save(chart, "beta_trajectories" + panelFile(panel));
    }

    /** Each training pair's β against its margin at the end of training, from the runs' pairs.csv. */
    private void betaAgainstMargin(String panel) {
        XYSeriesCollection data = new XYSeriesCollection();
        List<Paint> paints = new ArrayList<>();
        List<Integer> hollow = new ArrayList<>();
        byGroup(panel).forEach((group, runs) -> {
            Map<String, XYSeries> classes = new LinkedHashMap<>();
            for (RunResult r : runs) {
                for (double[] pair : pairs(Sweep.runDirectory(sweepDir, r.run()))) {
                    // pair = {margin, β, flipped (1/0) or NaN where the run kind has no labels to flip}
                    String cls = Double.isNaN(pair[2]) ? (pair[0] > 0 ? "Δ > 0" : "Δ < 0")
                            : pair[2] == 1 ? "flipped" : "clean";
                    XYSeries s = classes.computeIfAbsent(cls, c -> new XYSeries(prefix(group) + c, false));
                    if (s.getItemCount() < MAX_POINTS) {
                        s.add(pair[0], pair[1]);
                    }
                }
            }
            classes.forEach((cls, series) -> {
                boolean second = cls.equals("flipped") || cls.equals("Δ < 0");
                if (second) {
                    hollow.add(data.getSeriesCount());
                }
                data.addSeries(series);
                // Alone, a group's two classes also differ in colour; among several, colour is the group's.
                paints.add(second && groups.size() == 1 ? PALETTE[3] : colour(group));
            });
        });
        if (data.getSeriesCount() == 0) {
            return;
        }
        JFreeChart chart = ChartFactory.createScatterPlot("β against the margin Δ at the end of training "
                + "(hollow: flipped or Δ < 0)" + panelTitle(panel), "margin Δ", "β", data);
        draw(chart, paints, false, hollow);
        save(chart, "beta_vs_margin" + panelFile(panel));
    }

    /** The reward–KL frontier as training traces it: mean KL and mean true reward over seeds at each evaluation. */
    private void frontier(String panel) {
        XYSeriesCollection data = new XYSeriesCollection();
        List<Paint> paints = new ArrayList<>();
        byGroup(panel).forEach((group, runs) -> {
            Map<Double, double[]> byStep = new TreeMap<>();
            for (RunResult r : runs) {
                for (Map<String, Double> row : curves.get(r)) {
                    if (row.containsKey(KL) && row.containsKey(REWARD)) {
                        double[] sums = byStep.computeIfAbsent(row.get("step"), k -> new double[3]);
                        sums[0] += row.get(KL);
                        sums[1] += row.get(REWARD);
                        sums[2]++;
                    }
                }
            }
            if (!byStep.isEmpty()) {
                XYSeries s = new XYSeries(group, false);
                byStep.values().forEach(sums -> s.add(sums[0] / sums[2], sums[1] / sums[2]));
                data.addSeries(s);
                paints.add(colour(group));
            }
        });
        if (data.getSeriesCount() == 0) {
            return;
        }
        JFreeChart chart = ChartFactory.createXYLineChart("True reward against KL to the reference over training "
                + "(mean over seeds)" + panelTitle(panel), KL, REWARD, data);
        draw(chart, paints, true, List.of());
        save(chart, "reward_kl_frontier" + panelFile(panel));
    }

    /** Where every run ends: its final true reward against its KL to the reference, all settings together. */
    private void rewardAgainstKl() {
        XYSeriesCollection data = new XYSeriesCollection();
        List<Paint> paints = new ArrayList<>();
        for (String group : groups) {
            XYSeries s = new XYSeries(group, false);
            completed.stream().filter(r -> group(r).equals(group) && r.last().containsKey(REWARD)
                    && r.last().containsKey(KL)).forEach(r -> s.add(r.last().get(KL), r.last().get(REWARD)));
            if (s.getItemCount() > 0) {
                data.addSeries(s);
                paints.add(colour(group));
            }
        }
        if (data.getSeriesCount() == 0) {
            return;
        }
        JFreeChart chart = ChartFactory.createScatterPlot("True reward against KL to the reference at the end "
                + "(one point per run)", KL, REWARD, data);
        draw(chart, paints, false, List.of());
        save(chart, "reward_vs_kl");
    }

    /**
     * A metric's mean over seeds against the x field, with 95% intervals; each series is nudged
     * sideways so that the bars don't overlap.
     */
    private void metricAgainstX(String metric) {
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        List<Paint> paints = new ArrayList<>();
        double[] xs = panels.stream().mapToDouble(Plots::number).filter(Double::isFinite).toArray();
        if (xs.length == 0) {
            return;
        }
        double span = Arrays.stream(xs).max().getAsDouble() - Arrays.stream(xs).min().getAsDouble();
        double step = (span > 0 ? span : 1) * 0.008;
        for (int g = 0; g < groups.size(); g++) {
            String group = groups.get(g);
            YIntervalSeries s = new YIntervalSeries(group, false, true);
            for (String panel : panels) {
                double x = number(panel);
                double[] values = completed.stream().filter(r -> group(r).equals(group) && panel(r).equals(panel)
                        && r.last().containsKey(metric)).mapToDouble(r -> r.last().get(metric)).toArray();
                if (values.length > 0 && Double.isFinite(x)) {
                    Stats.Summary st = Stats.of(values);
                    double low = values.length > 1 ? st.low() : st.mean();
                    double high = values.length > 1 ? st.high() : st.mean();
                    s.add(x + (g - (groups.size() - 1) / 2.0) * step, st.mean(), low, high);
                }
            }
            if (s.getItemCount() > 0) {
                data.addSeries(s);
                paints.add(colour(group));
            }
        }
        if (data.getSeriesCount() == 0) {
            return;
        }
        JFreeChart chart = ChartFactory.createXYLineChart(metric + " at the end of training against " + config.x()
                + " (mean, 95% CI over seeds)", config.x(), metric, data);
        XYErrorRenderer renderer = new XYErrorRenderer();
        renderer.setDrawXError(false);
        renderer.setDrawYError(true);
        renderer.setDefaultLinesVisible(true);
        renderer.setCapLength(6);
        for (int i = 0; i < paints.size(); i++) {
            renderer.setSeriesPaint(i, paints.get(i));
            renderer.setSeriesStroke(i, SOLID);
        }
        style(chart).setRenderer(renderer);
        save(chart, slug(metric) + "_vs_" + slug(config.x()));
    }

    /** Adds mean ± sd over these runs of {@code key} at each step as one series; false when no run has it. */
    private boolean band(YIntervalSeriesCollection data, String name, List<RunResult> runs, String key) {
        Map<Double, List<Double>> byStep = new TreeMap<>();
        for (RunResult r : runs) {
            for (Map<String, Double> row : curves.get(r)) {
                Double v = row.get(key);
                if (v != null) {
                    byStep.computeIfAbsent(row.get("step"), s -> new ArrayList<>()).add(v);
                }
            }
        }
        if (byStep.isEmpty()) {
            return false;
        }
        YIntervalSeries s = new YIntervalSeries(name, false, true);
        byStep.forEach((step, values) -> {
            Stats.Summary st = Stats.of(values.stream().mapToDouble(Double::doubleValue).toArray());
            double sd = Double.isNaN(st.sd()) ? 0 : st.sd();
            s.add(step, st.mean(), st.mean() - sd, st.mean() + sd);
        });
        data.addSeries(s);
        return true;
    }

    private static void bands(JFreeChart chart, List<Paint> paints, List<Integer> dashed) {
        DeviationRenderer renderer = new DeviationRenderer(true, false);
        renderer.setAlpha(0.18f);
        for (int i = 0; i < paints.size(); i++) {
            renderer.setSeriesPaint(i, paints.get(i));
            renderer.setSeriesFillPaint(i, paints.get(i));
            renderer.setSeriesStroke(i, dashed.contains(i) ? DASHED : SOLID);
        }
        style(chart).setRenderer(renderer);
    }

    /** Dots (hollow for the series listed), joined by lines if asked. */
    private static void draw(JFreeChart chart, List<Paint> paints, boolean lines, List<Integer> hollow) {
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(lines, true);
        Shape dot = new Ellipse2D.Double(-2.5, -2.5, 5, 5);
        for (int i = 0; i < paints.size(); i++) {
            renderer.setSeriesPaint(i, paints.get(i));
            renderer.setSeriesShape(i, dot);
            renderer.setSeriesShapesFilled(i, !hollow.contains(i));
            renderer.setSeriesStroke(i, SOLID);
        }
        style(chart).setRenderer(renderer);
    }

    private static XYPlot style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.getLegend().setPosition(RectangleEdge.BOTTOM);
        chart.getTitle().setFont(chart.getTitle().getFont().deriveFont(15f));
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        return plot;
    }

    private void save(JFreeChart chart, String name) {
        String file = "plots/" + name + ".png";
        RunFiles.write(sweepDir.resolve(file), out -> ChartUtils.writeChartAsPNG(out, chart, 960, 600));
        plots.add(new Plot(file, chart.getTitle().getText()));
    }

    /** The completed runs of one panel by group, in group order. */
    private Map<String, List<RunResult>> byGroup(String panel) {
        Map<String, List<RunResult>> out = new LinkedHashMap<>();
        for (String group : groups) {
            List<RunResult> runs = completed.stream().filter(r -> panel(r).equals(panel) && group(r).equals(group))
                    .toList();
            if (!runs.isEmpty()) {
                out.put(group, runs);
            }
        }
        return out;
    }

    /** The method and every swept field but the x field, e.g. "dpo" or "dpo, lr=0.01". */
    private String group(RunResult r) {
        List<String> parts = new ArrayList<>();
        r.run().fields().forEach((column, value) -> {
            if (!value.isEmpty() && !column.equals(config.x())) {
                parts.add(column.equals(SweepRun.METHOD) ? value : shortName(column) + "=" + value);
            }
        });
        return parts.isEmpty() ? "all runs" : String.join(", ", parts);
    }

    private String panel(RunResult r) {
        return config.x() == null ? "" : r.run().fields().get(config.x());
    }

    private String prefix(String group) {
        return groups.size() == 1 ? "" : group + ": ";
    }

    private String panelTitle(String panel) {
        return panel.isEmpty() ? "" : ", " + shortName(config.x()) + " = " + panel;
    }

    private String panelFile(String panel) {
        return panel.isEmpty() ? "" : "__" + slug(shortName(config.x()) + "=" + panel);
    }

    private Color colour(String group) {
        return PALETTE[groups.indexOf(group) % PALETTE.length];
    }

    private static String shortName(String path) {
        return path.substring(path.lastIndexOf('.') + 1);
    }

    private static String slug(String s) {
        return s.replaceAll("[^A-Za-z0-9.=+-]", "_");
    }

    private static double number(String s) {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** A flag written as true/false or 1/0. */
    private static double flag(String cell) {
        return cell.equals("true") || cell.equals("1") ? 1 : 0;
    }

    /**
     * A run's pairs.csv as {margin, β, flipped} rows (flipped NaN where the file has no such column);
     * none when the run wrote no such file.
     */
    static List<double[]> pairs(Path runDir) {
        Path file = runDir.resolve("pairs.csv");
        if (!Files.exists(file)) {
            return List.of();
        }
        try {
            List<String> lines = Files.readAllLines(file);
            List<String> header = List.of(lines.get(0).split(","));
            int flippedColumn = header.indexOf("flipped");
            List<double[]> out = new ArrayList<>();
            for (String line : lines.subList(1, lines.size())) {
                String[] cells = line.split(",");
                out.add(new double[] {Double.parseDouble(cells[header.indexOf("margin")]),
                        Double.parseDouble(cells[header.indexOf("beta")]),
                        flippedColumn < 0 ? Double.NaN : flag(cells[flippedColumn])});
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
