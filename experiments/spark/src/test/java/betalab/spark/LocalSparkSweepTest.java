package betalab.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.registry.Registry;
import betalab.sweep.Report;
import betalab.sweep.Sweep;
import betalab.sweep.SweepConfig;
import betalab.sweep.SweepEngine;
import betalab.sweep.SweepRun;
import betalab.training.RunFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark engine in this JVM (local[2]): the same runs, numbers and aggregates as the in-process pool. */
class LocalSparkSweepTest {
    static final Registry REGISTRY = Registry.discover();

    /** Two methods × two noise levels × two seeds of a tiny bandit. */
    static final String SWEEP = """
            name: tiny
            base:
              steps: 12
              batch_size: 32
              eval_every: 4
              task: {name: bandit, prompts: 96, prompt_dim: 4, response_dim: 4, candidates: 4}
              loss: {name: sigmoid}
              beta: {name: fixed, beta: 0.5}
              optimizer: {name: adam, lr: 0.05}
            methods:
              dpo: {}
              learnable_beta: {beta: {name: policy_mlp, hidden: [4]}}
            grid:
              task.label_noise: [0.0, 0.2]
            seeds: 2
            """;

    @TempDir
    Path dir;

    private SweepConfig config() throws IOException {
        return SweepConfig.read(Files.writeString(dir.resolve("sweep.yaml"), SWEEP));
    }

    @Test
    void localSparkWritesWhatThePoolWrites() throws IOException {
        SweepConfig config = config();
        Path pool = dir.resolve("pool");
        Path spark = dir.resolve("spark");
        new Sweep(REGISTRY, config, pool).run(2, Sweeps.SILENT);
        Report.write(config, pool);
        Sweep.Outcome outcome;
        try (SweepEngine engine = SweepEngine.open("spark", Map.of("master", "local[2]"))) {
            outcome = new Sweep(REGISTRY, config, spark).run(engine, Sweeps.SILENT);
        }
        assertThat(outcome).isEqualTo(new Sweep.Outcome(8, 0, 8, 0));
        Sweeps.assertAllCompleted(Report.write(config, spark).results());
        Sweeps.assertSameRuns(config.runs(), pool, spark);
        Sweeps.assertNothingElse(config.runs(), spark);
        // Each run records the extensions it was made with: the executor's, equal to the driver's.
        assertThat(RunFiles.JSON.readTree(Sweep.runDirectory(spark, config.runs().get(0)).resolve("provenance.json")
                .toFile()).path("extensions")).containsExactlyElementsOf(REGISTRY.extensions().stream()
                .map(com.fasterxml.jackson.databind.node.TextNode::valueOf).toList());

        // Resumed: nothing runs again. A deleted run, and a run left unfinished, run again.
        Files.delete(Sweep.runDirectory(spark, config.runs().get(3)).resolve("summary.json"));
        RunAttemptFiles.deleteTree(Sweep.runDirectory(spark, config.runs().get(5)));
        try (SweepEngine engine = SweepEngine.open("spark", Map.of("master", "local[2]"))) {
            outcome = new Sweep(REGISTRY, config, spark).run(engine, Sweeps.SILENT);
        }
        assertThat(outcome).isEqualTo(new Sweep.Outcome(8, 6, 2, 0));
        Report.write(config, spark);
        Sweeps.assertSameRuns(config.runs(), pool, spark);
        Sweeps.assertNothingElse(config.runs(), spark);
    }

    @Test
    void anOutputSparkCannotWriteFailsBeforeAnyRun() throws Exception {
        SweepConfig config = config();
        Path out = Files.createDirectories(dir.resolve("locked"));
        Sweep sweep = new Sweep(REGISTRY, config, out);
        try (Sweep.Claim claim = sweep.claim(false);
             SweepEngine engine = SweepEngine.open("spark", Map.of("master", "local[2]"))) {
            boolean locked = lock(out, true);
            try {
                Assumptions.assumeTrue(locked, "neither permissions nor chattr keep this user from writing");
                assertThatThrownBy(() -> sweep.run(engine, Sweeps.SILENT))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageStartingWith("cannot write file:" + out.toAbsolutePath() + "/" + SparkSweepEngine.ATTEMPTS)
                        .message().doesNotContain("\n");
            } finally {
                lock(out, false);
            }
        }
        assertThat(out.resolve(Sweep.RUNS)).doesNotExist();
    }

    /**
     * Makes {@code dir} unwritable for this user, or writable again: by its permissions, and where
     * the user writes anyway (root), by the file system's immutable flag. Whether it is now locked.
     */
    private static boolean lock(Path dir, boolean locked) throws Exception {
        if (locked) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
            if (Files.isWritable(dir)) {
                chattr("+i", dir);
            }
        } else {
            chattr("-i", dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        try {
            Files.delete(Files.createTempFile(dir, "probe", ""));
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static void chattr(String flag, Path dir) throws InterruptedException {
        try {
            new ProcessBuilder("chattr", flag, dir.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (IOException e) {
            // no chattr here: the permissions alone decide
        }
    }

    /** An executor on another machine wrote its run to a directory of its own (a local path that is not shared). */
    @Test
    void anAttemptTheDriverDoesNotSeeStopsTheSweepInOneLine() throws IOException {
        SweepRun run = config().runs().get(0);
        List<SweepEngine.Job> jobs = List.of(new SweepEngine.Job(run, "{}"));
        FileSystem fs = RunTask.fileSystem(new org.apache.hadoop.fs.Path(dir.toUri()), new Configuration());
        org.apache.hadoop.fs.Path runs = new org.apache.hadoop.fs.Path(dir.resolve(Sweep.RUNS).toUri());
        var commit = new SparkSweepEngine.Commit(fs, runs, null, jobs, new SparkSweepEngine.Started(jobs, Sweeps.SILENT),
                Sweeps.SILENT);
        String elsewhere = new org.apache.hadoop.fs.Path(dir.resolve("elsewhere").toUri()).toString();
        assertThatThrownBy(() -> commit.apply(0, new TaskResult(elsewhere, null, 1.0, "executor 3 on far", null)))
                .isInstanceOf(SparkSweepEngine.Refused.class)
                .hasMessage("executor 3 on far wrote run " + run.id() + " to " + elsewhere + ", which the driver does "
                        + "not see: the sweep's directory must be one the driver and every executor share (a shared "
                        + "mount, hdfs://, s3a://)");
        assertThat(dir.resolve(Sweep.RUNS)).doesNotExist();
    }

    @Test
    void aMasterThatDoesNotAnswerFailsInOneLineBeforeAnythingIsWritten() throws IOException {
        int port;
        try (var socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String master = "spark://127.0.0.1:" + port;
        assertThatThrownBy(() -> SweepEngine.open("spark", Map.of("master", master)))
                .hasMessageStartingWith("cannot reach the Spark master " + master + ": Connection refused")
                .message().doesNotContain("\n");
    }

    @Test
    void anUnknownOptionIsNamed() {
        assertThatThrownBy(() -> SweepEngine.open("spark", Map.of("masterr", "local")))
                .hasMessage("Spark engine: unknown option 'masterr'; it takes master and Spark settings (spark.…)");
    }
}
