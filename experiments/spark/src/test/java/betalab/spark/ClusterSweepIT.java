package betalab.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.registry.Extension;
import betalab.app.Main;
import betalab.api.registry.Extensions;
import betalab.api.registry.Registry;
import betalab.sweep.Report;
import betalab.sweep.Sweep;
import betalab.sweep.SweepConfig;
import betalab.sweep.SweepEngine;
import betalab.sweep.SweepRun;
import betalab.training.RunFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * examples/sweep-quick.yaml on a real cluster: a standalone Master and two one-core Workers, each a
 * JVM, whose executors are JVMs of their own. Run by {@code mvn verify}; skip with -DskipITs.
 */
@Tag("cluster")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterSweepIT {
    private static final Path QUICK = Path.of("../../examples/sweep-quick.yaml");

    private final Registry registry = Registry.discover();

    private Path dir;
    private StandaloneCluster cluster;
    private SweepConfig config;
    private Path pool;

    @BeforeAll
    void startClusterAndRunInProcess(@TempDir Path dir) throws Exception {
        this.dir = dir;
        cluster = new StandaloneCluster(dir, 2, 1, "1g");
        config = SweepConfig.read(QUICK);
        pool = dir.resolve("pool");
        new Sweep(registry, config, pool).run(2, Sweeps.SILENT);
        Report.write(config, pool);
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private Map<String, String> options() {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("master", cluster.master());
        options.put("spark.driver.host", "127.0.0.1");
        options.put("spark.driver.bindAddress", "127.0.0.1");
        options.put("spark.executor.memory", "512m");
        options.put("spark.ui.enabled", "false");
        return options;
    }

    @Test
    void theClusterWritesWhatThePoolWrites() throws IOException {
        Path out = dir.resolve("cluster");
        Sweep.Outcome outcome;
        try (SweepEngine engine = SweepEngine.open("spark", options())) {
            outcome = new Sweep(registry, config, out).run(engine, Sweeps.SILENT);
        } catch (RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\n" + cluster.logs(), e);
        }
        assertThat(outcome).isEqualTo(new Sweep.Outcome(48, 0, 48, 0));
        Sweeps.assertAllCompleted(Report.write(config, out).results());
        Sweeps.assertSameRuns(config.runs(), pool, out);
        Sweeps.assertNothingElse(config.runs(), out);
        // Made on the executors, with their extensions: the driver's.
        for (SweepRun run : config.runs()) {
            assertThat(RunFiles.JSON.readTree(Sweep.runDirectory(out, run).resolve("provenance.json").toFile())
                    .path("extensions").toString()).isEqualTo(RunFiles.JSON.valueToTree(registry.extensions()).toString());
        }
    }

    /**
     * One executor's JVM killed mid-sweep (the quick sweep's first seed, 16 runs): its runs go to
     * another; nothing is lost, doubled or half-written.
     */
    @Test
    void anExecutorKilledMidSweepLosesNothing() throws Exception {
        SweepConfig config = new SweepConfig(this.config.name(), this.config.kind(), this.config.base(),
                this.config.axes(), List.of(0L), this.config.baseline(), this.config.metrics(), this.config.x(), null);
        Path out = dir.resolve("killed");
        AtomicInteger finished = new AtomicInteger();
        List<String> doubled = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        Sweep.Listener counting = new Sweep.Listener() {
            @Override
            public void planned(int total, int skipped) {
            }

            @Override
            public void started(SweepRun run) {
            }

            @Override
            public synchronized void finished(SweepRun run, Exception error, double seconds) {
                if (seen.contains(run.id())) {
                    doubled.add(run.id());
                }
                seen.add(run.id());
                finished.incrementAndGet();
            }
        };
        Sweep.Outcome outcome;
        try (SweepEngine engine = SweepEngine.open("spark", options())) {
            CompletableFuture<Sweep.Outcome> running = CompletableFuture.supplyAsync(
                    () -> new Sweep(registry, config, out).run(engine, counting));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (finished.get() < 3 && !running.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            List<ProcessHandle> executors = cluster.executors();
            assertThat(executors).as("executors running mid-sweep\n" + cluster.logs()).hasSize(2);
            // Their threads follow spark.task.cpus (1 here): betalab's pools and the native libraries'.
            for (ProcessHandle executor : executors) {
                assertThat(executor.info().commandLine().orElse("")).contains("-Dbetalab.jvm.threads=1");
                assertThat(Files.readString(Path.of("/proc", Long.toString(executor.pid()), "environ")).split("\0"))
                        .contains("OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1");
            }
            int before = finished.get();
            assertThat(before).as("runs finished when the executor is killed").isLessThan(12);
            executors.get(0).destroyForcibly();
            outcome = running.get(5, TimeUnit.MINUTES);
        }
        assertThat(outcome).isEqualTo(new Sweep.Outcome(16, 0, 16, 0));
        assertThat(doubled).isEmpty();
        assertThat(seen).hasSize(16);
        Sweeps.assertAllCompleted(Report.write(config, out).results());
        Sweeps.assertSameRuns(config.runs(), pool, out, false);
        Sweeps.assertNothingElse(config.runs(), out);
    }

    /**
     * The sweep's directory on HDFS: the executors' JVMs write the runs there, the driver's copy
     * gets them, and the sweep equals the pool's.
     */
    @Test
    void theClusterWritesASweepOnHdfs() throws Exception {
        Path tiny = Files.writeString(dir.resolve("tiny.yaml"), LocalSparkSweepTest.SWEEP);
        SweepConfig config = SweepConfig.read(tiny);
        Path pool = dir.resolve("tiny-pool");
        new Sweep(registry, config, pool).run(2, Sweeps.SILENT);
        Report.write(config, pool);
        try (MiniHdfs hdfs = new MiniHdfs(dir.resolve("hdfs"))) {
            URI out = hdfs.uri(MiniHdfs.WRITABLE + "/tiny");
            List<String> args = new ArrayList<>(List.of("sweep", "--engine", "spark", "--config", tiny.toString(),
                    "--out", out.toString()));
            options().forEach((k, v) -> args.addAll(k.equals("master") ? List.of("--master", v)
                    : List.of("--conf", k + "=" + v)));
            StringWriter err = new StringWriter();
            int code = Main.run(new PrintWriter(Writer.nullWriter()), new PrintWriter(err, true),
                    args.toArray(String[]::new));
            assertThat(code).as(err + "\n" + cluster.logs()).isZero();
            Path copy = dir.resolve("tiny-hdfs");
            hdfs.copyDown(MiniHdfs.WRITABLE + "/tiny", copy);
            Sweeps.assertSameRuns(config.runs(), pool, copy);
            Sweeps.assertNothingElse(config.runs(), copy);
            assertThat(copy.resolve("report.html")).isRegularFile();
        }
    }

    /** The driver has an extension (a plugin on its class path) that the executors were not given. */
    @Test
    void anExtensionMissingOnTheExecutorsStopsTheSweepInOneLine() throws IOException {
        List<Extension> extensions = new ArrayList<>(Extensions.discover(List.of()));
        extensions.add(new DriverOnlyExtension());
        extensions.sort(Comparator.comparing(e -> e.getClass().getName()));
        Registry driver = Registry.of(extensions);
        Path out = dir.resolve("missing");
        try (SweepEngine engine = SweepEngine.open("spark", options())) {
            Sweep sweep = new Sweep(driver, config, out);
            assertThatThrownBy(() -> sweep.run(engine, Sweeps.SILENT))
                    .hasMessageMatching("executor \\d+ on \\S+ loaded other extensions than the driver \\(missing "
                            + "betalab.spark.DriverOnlyExtension\\): give the executors the same plugin jars "
                            + "\\(--conf spark.jars=…\\) \\(run \\S+\\)");
        }
        assertThat(out.resolve(Sweep.RUNS)).doesNotExist();
        assertThat(out.resolve(SparkSweepEngine.ATTEMPTS)).doesNotExist();
    }

    /** Executors whose Spark is another version than the driver's (their class path says 3.5.6). */
    @Test
    void anotherSparkOnTheExecutorsStopsTheSweepInOneLine() throws IOException {
        Path other = Files.createDirectories(dir.resolve("other-spark"));
        Files.writeString(other.resolve("spark-version-info.properties"), "version=3.5.6\n");
        Map<String, String> options = options();
        options.put("spark.executor.extraClassPath", other.toString());
        Path out = dir.resolve("version");
        try (SweepEngine engine = SweepEngine.open("spark", options)) {
            Sweep sweep = new Sweep(registry, config, out);
            assertThatThrownBy(() -> sweep.run(engine, Sweeps.SILENT))
                    .hasMessageMatching("executor \\d+ on \\S+ runs Spark 3.5.6 where the driver runs Spark "
                            + "4\\.0\\.\\d+ \\(run \\S+\\)");
        }
        assertThat(out.resolve(Sweep.RUNS)).doesNotExist();
    }

    /** A Master of another Spark (its class path says 3.5.6) is refused before Spark starts, in seconds. */
    @Test
    void aMasterOfAnotherSparkIsRefusedInOneLine() throws Exception {
        Path other = Files.createDirectories(dir.resolve("other-master"));
        Files.writeString(other.resolve("spark-version-info.properties"), "version=3.5.6\n");
        try (StandaloneCluster old = new StandaloneCluster(dir.resolve("old"), 0, 1, "1g", other)) {
            Map<String, String> options = options();
            options.put("master", old.master());
            long start = System.nanoTime();
            assertThatThrownBy(() -> SweepEngine.open("spark", options))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageMatching("the Spark master " + old.master().replace(".", "\\.") + " runs Spark 3\\.5\\.6 "
                            + "where this driver runs Spark 4\\.0\\.\\d+ \\(Scala 2\\.13\\): run the sweep on a "
                            + "cluster of the driver's Spark");
            assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(30));
        }
    }

    /**
     * A Master that never registers the application (a standby of a high-availability pair; a Master
     * of another Spark whose web UI cannot be read behaves alike): after Spark's minute of retries the
     * sweep stops in one line, rather than waiting on a context being stopped, and runs nothing.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES) // without the check, the job waits for ever
    void aMasterThatNeverRegistersTheApplicationStopsTheSweepInOneLine() throws Exception {
        Path classes = Path.of(StandbyRecoveryMode.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (StandaloneCluster standby = new StandaloneCluster(dir.resolve("standby"), 0, 1, "1g", classes,
                "-Dspark.deploy.recoveryMode=CUSTOM", "-Dspark.deploy.recoveryMode.factory=" + StandbyRecoveryMode.class.getName())) {
            Map<String, String> options = options();
            options.put("master", standby.master());
            Path out = dir.resolve("unregistered");
            try (SweepEngine engine = SweepEngine.open("spark", options)) {
                Sweep sweep = new Sweep(registry, config, out);
                assertThatThrownBy(() -> sweep.run(engine, Sweeps.SILENT))
                        .hasMessage("the Spark master " + standby.master() + " did not take the application in a "
                                + "minute: it is a standby, runs another Spark than this driver's "
                                + org.apache.spark.SparkBuildInfo.spark_version() + " (Scala 2.13), or cannot connect "
                                + "back to this driver at 127.0.0.1 (spark.driver.host); the master's log says which");
            }
            assertThat(out.resolve(Sweep.RUNS)).doesNotExist();
            assertThat(out.resolve(SparkSweepEngine.ATTEMPTS)).doesNotExist();
        }
    }

    /** The jar a user hands to spark-submit: betalab's command line, on the cluster spark-submit names. */
    @Test
    void betalabSparkSubmitJarRunsThroughSparkSubmit() throws Exception {
        Path sweep = Files.writeString(dir.resolve("submit.yaml"), LocalSparkSweepTest.SWEEP.replace("seeds: 2", "seeds: 1"));
        Path out = dir.resolve("submitted");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", cluster.jars() + "/*"));
        command.addAll(List.of(System.getProperty("betalab.spark.jvmOptions", "").split(" +")));
        command.removeIf(String::isBlank);
        command.addAll(List.of("org.apache.spark.deploy.SparkSubmit", "--master", cluster.master(),
                "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
                "--conf", "spark.ui.enabled=false", "--conf", "spark.executor.memory=512m",
                System.getProperty(SparkSweepEngine.SUBMIT_JAR_PROPERTY),
                "sweep", "--engine", "spark", "--config", sweep.toString(), "--out", out.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("submit.log").toFile());
        builder.environment().put("SPARK_HOME", cluster.home().toString());
        Process submit = builder.start();
        assertThat(submit.waitFor(5, TimeUnit.MINUTES)).isTrue();
        String log = Files.readString(dir.resolve("submit.log"));
        assertThat(submit.exitValue()).as(log).isZero();
        assertThat(log).contains("4 runs: 4 completed now, 0 already done, 0 failed");
        Sweeps.assertAllCompleted(Report.write(SweepConfig.read(sweep), out).results());
        Sweeps.assertNothingElse(SweepConfig.read(sweep).runs(), out);
    }
}
