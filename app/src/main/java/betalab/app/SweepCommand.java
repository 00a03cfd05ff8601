package betalab.app;

import betalab.api.registry.Registry;
import betalab.api.tensor.Backends;
import betalab.sweep.Report;
import betalab.sweep.RunAttempt;
import betalab.sweep.RunResult;
import betalab.sweep.Sweep;
import betalab.sweep.SweepConfig;
import betalab.sweep.SweepEngine;
import betalab.sweep.SweepRun;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code betalab sweep}: many runs from one declarative config, in parallel, with statistics, plots and a report. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Run a grid (or list) of configs over seeds in parallel, then write results.csv/json, "
                + "per-cell statistics with 95%% intervals, paired comparisons against a baseline method, "
                + "plots and report.html into the sweep directory.",
                "Resumable: the same command again skips finished runs and retries the rest. Every run's config "
                        + "is checked before anything is written; while it runs, the sweep locks its directory, so a "
                        + "second sweep there fails at once. See examples/compare-noise.yaml and "
                        + "examples/seed-sweep.yaml."})
final class SweepCommand implements Callable<Integer> {
    static final String LOG = "sweep.log";

    @Spec
    private CommandSpec spec;

    @Option(names = "--config", required = true, description = "the sweep's config, YAML or JSON")
    private Path config;

    @Option(names = "--out", description = "sweep directory (default: sweeps/<sweep name>, so a rerun resumes); "
            + "with --engine spark also a directory on the cluster's file system, hdfs://… or s3a://…")
    private String out;

    @Option(names = "--workers", description = "runs at a time, for the pool engine (default: the number of cores "
            + "here)", paramLabel = "N")
    private Integer workers;

    @Option(names = "--engine", paramLabel = "NAME", description = "where the runs execute: pool (default: threads "
            + "of this process) or spark (each run one task of a Spark job; needs --master or spark-submit)")
    private String engine = SweepEngine.POOL;

    @Option(names = "--master", paramLabel = "URL", description = "the Spark master: local[N], spark://host:port, "
            + "or whatever the cluster takes (--engine spark)")
    private String master;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "a setting of the engine, e.g. "
            + "spark.task.cpus=2 or spark.executor.memory=2g (--engine spark); may be repeated")
    private Map<String, String> engineOptions = new LinkedHashMap<>();

    @Option(names = "--backend", description = "tensor backend by name (default: the highest-priority one)")
    private String backend;

    @Option(names = "--force", description = "run even when the sweep directory holds a different sweep (another "
            + "config recorded in its sweep-resolved.json) or other files: runs whose config differs are run "
            + "again, replacing their directories, and the record becomes this sweep's")
    private boolean force;

    @Override
    public Integer call() throws IOException {
        if (workers != null && workers < 1) {
            throw new ParameterException(spec.commandLine(), "--workers must be ≥ 1, got " + workers);
        }
        boolean pool = engine.equals(SweepEngine.POOL);
        if (pool && (master != null || !engineOptions.isEmpty())) {
            throw new ParameterException(spec.commandLine(), (master != null ? "--master" : "--conf")
                    + " is a setting of another engine than pool; add --engine spark");
        }
        if (!pool && workers != null) {
            throw new ParameterException(spec.commandLine(), "--workers is the pool engine's; the " + engine
                    + " engine runs as many at a time as its cluster gives (for Spark: its cores / spark.task.cpus)");
        }
        if (backend != null) {
            Backends.use(Backends.named(backend));
        }
        SweepConfig sweep = SweepConfig.read(config);
        URI remoteOut = out == null ? null : remote(out);
        // A remote directory is run in a local copy, removed at the end; the engine copies runs both ways.
        Path dir = remoteOut != null ? Files.createTempDirectory("betalab-sweep-")
                : out != null ? local(out) : Path.of("sweeps", sweep.name());
        try {
            // Every run resolved before the directory is touched: a mistake writes nothing.
            Sweep runs = new Sweep(Registry.discover(), sweep, dir, remoteOut != null ? remoteOut.toString()
                    : dir.toString());
            Map<String, String> options = new LinkedHashMap<>(engineOptions);
            if (master != null) {
                options.put("master", master);
            }
            // Only an engine asked for by name is looked up: the default loads nothing of any other.
            try (SweepEngine runner = pool ? SweepEngine.pool(workers != null ? workers
                    : Runtime.getRuntime().availableProcessors()) : SweepEngine.open(engine, options);
                 SweepEngine.Remote remote = remoteOut == null ? null : remote(runner, remoteOut, dir);
                 Sweep.Claim claim = runs.claim(force)) {
                return sweep(sweep, runs, runner, dir, remote);
            }
        } finally {
            if (remoteOut != null) {
                RunAttempt.delete(dir);
            }
        }
    }

    /** The remote directory --out names (a URI whose scheme is not file:), or null for a local one. */
    private URI remote(String out) {
        int colon = out.indexOf(':');
        String scheme = colon < 0 ? "" : out.substring(0, colon);
        // One letter is a drive (C:\…), not a scheme.
        if (scheme.length() < 2 || !scheme.matches("[A-Za-z][A-Za-z0-9+.-]*") || scheme.equalsIgnoreCase("file")) {
            return null;
        }
        try {
            return new URI(out);
        } catch (URISyntaxException e) {
            throw new ParameterException(spec.commandLine(), "--out " + out + ": not a URI (" + e.getReason() + ")");
        }
    }

    private Path local(String out) {
        try {
            return out.regionMatches(true, 0, "file:", 0, 5) ? Path.of(new URI(out)) : Path.of(out);
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--out " + out + ": not a path (" + e.getMessage() + ")");
        }
    }

    private SweepEngine.Remote remote(SweepEngine engine, URI out, Path dir) {
        try {
            return engine.remote(out, dir);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--out " + e.getMessage());
        }
    }

    /**
     * Runs the sweep and writes its report, holding its directory; a remote one (null for a local
     * directory) gets the sweep's record first and its log, results and report at the end.
     */
    private int sweep(SweepConfig sweep, Sweep runs, SweepEngine engine, Path dir, SweepEngine.Remote remote)
            throws IOException {
        if (remote == null) {
            return sweep(sweep, runs, engine, dir);
        }
        remote.push();
        int code;
        try {
            code = sweep(sweep, runs, engine, dir);
        } catch (IOException | RuntimeException e) {
            try {
                remote.push(); // the log, which tells what happened
            } catch (RuntimeException second) {
                e.addSuppressed(second);
            }
            throw e;
        }
        remote.push();
        return code;
    }

    private int sweep(SweepConfig sweep, Sweep runs, SweepEngine engine, Path dir) throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        Sweep.Outcome outcome;
        // Everything logged while the runs go, SLF4J's console output included, goes to the log file,
        // so the progress bar on the terminal stays readable.
        PrintStream console = System.err;
        try (PrintStream log = new PrintStream(new FileOutputStream(dir.resolve(LOG).toFile(), true), true,
                StandardCharsets.UTF_8)) {
            System.setErr(log);
            Path logFile = dir.resolve(LOG);
            String shown = runs.shown(logFile);
            Progress progress = new Progress(stderr, log, System.console() != null, shown.equals(logFile.toString())
                    ? shown : logFile + ", copied to " + shown + " at the end", engine.slots());
            outcome = runs.run(engine, progress);
            progress.end();
        } finally {
            System.setErr(console);
        }

        Report.Written report = Report.write(sweep, dir);
        stdout.println(report.aggregate());
        if (!report.paired().isEmpty()) {
            stdout.println(report.paired());
        }
        stdout.printf(Locale.ROOT, "%d runs: %d completed now, %d already done, %d failed%n", outcome.total(),
                outcome.completed(), outcome.skipped(), outcome.failed());
        for (RunResult r : report.results()) {
            if (r.status().equals("failed")) {
                stdout.printf(Locale.ROOT, "  failed %s: %s%n", r.run().id(), r.error());
            }
        }
        stdout.println("report: " + runs.shown(report.html()));
        stdout.flush();
        return outcome.failed() > 0 ? 1 : 0;
    }

    /**
     * Shows progress on stderr — one redrawn bar on a terminal, else a line per finished run — and
     * writes every event to the log.
     */
    static final class Progress implements Sweep.Listener {
        private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
        private static final int BAR = 30;

        private final PrintWriter screen;
        private final PrintStream log;
        private final boolean terminal;
        private final String logFile;
        /** Runs at a time, or 0 when the engine does not know before it starts. */
        private final int workers;
        private int total;
        private int skipped;
        private int finished;
        private int failed;
        private int running;
        private long start;

        /** @param logFile where the log is, as the plan line names it */
        Progress(PrintWriter screen, PrintStream log, boolean terminal, String logFile, int workers) {
            this.screen = screen;
            this.log = log;
            this.terminal = terminal;
            this.logFile = logFile;
            this.workers = workers;
        }

        @Override
        public synchronized void planned(int total, int skipped) {
            this.total = total;
            this.skipped = skipped;
            start = System.nanoTime();
            String plan = String.format(Locale.ROOT, "%d runs, %d already done; running %d, %s (log: %s)",
                    total, skipped, total - skipped, workers > 0 ? Math.min(total - skipped, workers) + " at a time"
                            : "as many at a time as the engine's cluster gives", logFile);
            log(plan);
            screen.println(plan);
            draw();
        }

        @Override
        public synchronized void started(SweepRun run) {
            running++;
            log("started " + run.id());
            draw();
        }

        @Override
        public synchronized void finished(SweepRun run, Exception error, double seconds) {
            running--;
            finished++;
            String what = error == null ? String.format(Locale.ROOT, "completed %s in %.1f s", run.id(), seconds)
                    : String.format(Locale.ROOT, "FAILED %s after %.1f s: %s", run.id(), seconds, error.getMessage());
            log(what);
            if (error != null) {
                failed++;
                error.printStackTrace(log);
            }
            if (!terminal) {
                screen.printf(Locale.ROOT, "[%d/%d] %s%n", skipped + finished, total, what);
            }
            draw();
        }

        synchronized void end() {
            if (terminal) {
                screen.println();
            }
            log(String.format(Locale.ROOT, "sweep ended: %d run, %d failed, %.1f s", finished, failed,
                    (System.nanoTime() - start) / 1e9));
            screen.flush();
        }

        private void draw() {
            if (!terminal) {
                screen.flush();
                return;
            }
            int done = skipped + finished;
            int filled = total == 0 ? BAR : done * BAR / total;
            screen.printf(Locale.ROOT, "\r[%s%s] %d/%d done · %d running · %d failed · ETA %s   ",
                    "#".repeat(filled), "-".repeat(BAR - filled), done, total, running, failed, eta());
            screen.flush();
        }

        /** Time per finished run so far (runs overlap, so this already counts the workers) times the runs left. */
        private String eta() {
            if (finished == 0) {
                return "–";
            }
            double perRun = (System.nanoTime() - start) / 1e9 / finished;
            long seconds = Math.round(perRun * (total - skipped - finished));
            return seconds >= 60 ? seconds / 60 + "m" + String.format(Locale.ROOT, "%02d", seconds % 60) + "s"
                    : seconds + "s";
        }

        private void log(String line) {
            log.println(LocalTime.now().format(TIME) + " " + line);
        }
    }
}
