package betalab.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.registry.Registry;
import betalab.sweep.Report;
import betalab.sweep.Sweep;
import betalab.sweep.SweepConfig;
import betalab.sweep.SweepEngine;
import betalab.training.RunFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
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
    void anOutputSparkCannotWriteFailsBeforeAnyRun() throws IOException {
        SweepConfig config = config();
        Path out = Files.createDirectories(dir.resolve("locked"));
        Sweep sweep = new Sweep(REGISTRY, config, out);
        try (Sweep.Claim claim = sweep.claim(false);
             SweepEngine engine = SweepEngine.open("spark", Map.of("master", "local[2]"))) {
            Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("r-xr-xr-x"));
            try {
                // A superuser writes anyway: nothing to check then.
                Assumptions.assumeFalse(Files.isWritable(out), "this user writes into read-only directories");
                assertThatThrownBy(() -> sweep.run(engine, Sweeps.SILENT))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageStartingWith("cannot write file:" + out.toAbsolutePath() + "/" + SparkSweepEngine.ATTEMPTS)
                        .message().doesNotContain("\n");
            } finally {
                Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
        assertThat(out.resolve(Sweep.RUNS)).doesNotExist();
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
