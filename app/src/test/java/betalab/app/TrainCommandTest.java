package betalab.app;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.api.registry.Registry;
import betalab.training.ConfigTree;
import betalab.training.PreferenceTraining;
import betalab.training.RunDirectory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TrainCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONFIG = """
            steps: 12
            batch_size: 32
            eval_every: 6
            checkpoint_every: 5
            task: {name: bandit, prompts: 128, prompt_dim: 4, response_dim: 4, candidates: 4, label_noise: 0.2}
            loss: {name: cdpo, epsilon: 0.1}
            beta: {name: policy_mlp, hidden: [8]}
            optimizer: {name: adam, lr: 0.02}
            """;

    private static JsonNode summary(Path run) throws Exception {
        return JSON.readTree(run.resolve(RunDirectory.SUMMARY).toFile());
    }

    @Test
    void trainsAndReports(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("small.yaml"), CONFIG);
        CliRun r = CliRun.of("train", "--config", config.toString(), "--out", dir.resolve("run").toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("step     0", "step     6", "step    12", "completed after 12 steps",
                "eval/true_reward", "eval/beta_flipped");
        for (String file : new String[] {"config.json", "provenance.json", "metrics.csv", "metrics.jsonl",
                "summary.json", "checkpoint.json", "pairs.csv"}) {
            assertThat(dir.resolve("run").resolve(file)).isNotEmptyFile();
        }
        JsonNode summary = summary(dir.resolve("run"));
        assertThat(summary.get("status").asText()).isEqualTo("completed");
        // 128 prompts, a fifth held out: 102 training pairs, 4 steps an epoch.
        assertThat(List.of(summary.get("steps_completed").asInt(), summary.get("steps").asInt(),
                summary.get("epochs_completed").asInt(), summary.get("epochs").asInt())).containsExactly(12, 12, 3, 3);
        assertThat(summary.at("/last_eval/step").asInt()).isEqualTo(12);
        assertThat(summary.at("/best_eval/eval~1true_reward").isNumber()).isTrue();
        assertThat(summary.at("/last/step").asInt()).isEqualTo(12);
    }

    /**
     * A run stopped part-way and resumed from the command line ends with exactly the metrics of the
     * same run left alone: stopped cleanly after step 8 (its checkpoint at 8), and as if killed after
     * step 8 (rows up to 8 written, the last checkpoint at 5, so steps 6 to 8 are done again).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void resumesAnInterruptedRunToTheSameMetricsAsAnUninterruptedOne(boolean killed, @TempDir Path dir)
            throws Exception {
        Path config = Files.writeString(dir.resolve("small.yaml"), CONFIG);
        CliRun straight = CliRun.of("train", "--config", config.toString(), "--out", dir.resolve("straight").toString());
        assertThat(straight.exitCode()).as(straight.err()).isZero();

        Registry registry = Registry.discover();
        Path run = dir.resolve("resumed");
        RunDirectory.Summary stopped = PreferenceTraining.train(registry,
                PreferenceTraining.resolve(ConfigTree.read(config), registry), run, 8, row -> { });
        assertThat(stopped.status()).isEqualTo("interrupted");
        if (killed) {
            PreferenceTraining.train(registry, PreferenceTraining.resolve(ConfigTree.read(config), registry),
                    dir.resolve("five"), 5, row -> { });
            Files.copy(dir.resolve("five").resolve(RunDirectory.CHECKPOINT), run.resolve(RunDirectory.CHECKPOINT),
                    StandardCopyOption.REPLACE_EXISTING);
        }
        JsonNode before = summary(run);
        assertThat(before.get("status").asText()).isEqualTo("interrupted");
        assertThat(before.get("steps_completed").asInt()).isEqualTo(8);
        assertThat(before.get("steps").asInt()).isEqualTo(12);
        assertThat(JSON.readTree(run.resolve(RunDirectory.CHECKPOINT).toFile()).get("step").asInt())
                .isEqualTo(killed ? 5 : 8);
        assertThat(Files.readAllLines(run.resolve(RunDirectory.METRICS_JSONL))).hasSize(9);
        assertThat(run.resolve("pairs.csv")).doesNotExist();

        CliRun resumed = CliRun.of("train", "--resume", run.toString());

        assertThat(resumed.exitCode()).as(resumed.err()).isZero();
        // It went on from its checkpoint: the evaluations at steps 0 and 6 are not repeated, or only 6 is.
        assertThat(resumed.out()).contains("step    12", "completed after 12 steps").doesNotContain("step     0");
        assertThat(resumed.out().contains("step     6")).isEqualTo(killed);
        assertThat(Files.readAllLines(run.resolve(RunDirectory.METRICS_JSONL)))
                .isEqualTo(Files.readAllLines(dir.resolve("straight").resolve(RunDirectory.METRICS_JSONL)));
        JsonNode after = summary(run);
        JsonNode expected = summary(dir.resolve("straight"));
        assertThat(after.get("status").asText()).isEqualTo("completed");
        for (String field : List.of("steps_completed", "epochs_completed", "last", "last_eval", "best_eval")) {
            assertThat(after.get(field)).as(field).isEqualTo(expected.get(field));
        }
        assertThat(run.resolve("pairs.csv")).hasSameTextualContentAs(dir.resolve("straight/pairs.csv"));
    }

    @Test
    void aBadConfigIsOneLineAndExitCodeTwo(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("bad.yaml"), CONFIG.replace("batch_size: 32", "batch_size: -1"));
        CliRun r = CliRun.of("train", "--config", config.toString(), "--out", dir.resolve("run").toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("betalab train: error: " + config + ":2: field 'batch_size' must be "
                + "> 0, got -1").doesNotContain("\n");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    /** A config written before tasks: its environment section is refused with what replaced it. */
    @Test
    void anEnvironmentSectionFailsWithTheHintAndWritesNothing(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("old.yaml"), CONFIG.replace("task: {name: bandit,", "environment: {"));
        CliRun r = CliRun.of("train", "--config", config.toString(), "--out", dir.resolve("run").toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("betalab train: error: " + config + ":5: field 'environment' is no "
                + "longer read: ").contains("task: {name: bandit").doesNotContain("\n");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @Test
    void configAndResumeAreExclusive(@TempDir Path dir) {
        CliRun r = CliRun.of("train", "--config", "a.yaml", "--resume", dir.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("mutually exclusive");
    }

    @Test
    void aResumeKeepsTheRunsOwnBackendAndDirectory(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("small.yaml"), CONFIG);
        Path run = dir.resolve("run");
        assertThat(CliRun.of("train", "--config", config.toString(), "--out", run.toString()).exitCode()).isZero();

        CliRun otherBackend = CliRun.of("train", "--resume", run.toString(), "--backend", "nd4j");
        assertThat(otherBackend.exitCode()).isEqualTo(2);
        assertThat(otherBackend.err().strip()).isEqualTo("betalab train: --backend nd4j: the run in " + run
                + " was started on 'jvm'; leave --backend out to resume it there");

        CliRun otherPlace = CliRun.of("train", "--resume", run.toString(), "--out", dir.resolve("elsewhere").toString());
        assertThat(otherPlace.exitCode()).isEqualTo(2);
        assertThat(otherPlace.err()).contains("--out: a resumed run stays in its own directory " + run);

        // Recorded on a backend this process does not have: it is asked for by name, not replaced by the default.
        var provenance = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(
                run.resolve(RunDirectory.PROVENANCE).toFile());
        provenance.put("backend", "nd4j");
        Files.writeString(run.resolve(RunDirectory.PROVENANCE), JSON.writeValueAsString(provenance));
        CliRun missing = CliRun.of("train", "--resume", run.toString());
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("nd4j").doesNotContain("\tat ");
    }

    @Test
    void runsWithoutOutGetADirectoryOfTheirOwnEachTime(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("small.yaml"), CONFIG.replace("steps: 12", "steps: 2"));
        String cwd = System.getProperty("user.dir");
        Path runs = Path.of(cwd, "runs");
        java.util.Set<Path> before = runs.toFile().exists()
                ? java.util.Set.copyOf(java.util.Arrays.stream(runs.toFile().listFiles()).map(java.io.File::toPath).toList())
                : java.util.Set.of();
        assertThat(CliRun.of("train", "--config", config.toString()).exitCode()).isZero();
        assertThat(CliRun.of("train", "--config", config.toString()).exitCode()).isZero();
        List<Path> made = java.util.Arrays.stream(runs.toFile().listFiles()).map(java.io.File::toPath)
                .filter(p -> !before.contains(p)).toList();
        try {
            assertThat(made).hasSize(2).allMatch(p -> Files.exists(p.resolve(RunDirectory.SUMMARY)));
        } finally {
            for (Path p : made) {
                try (var files = Files.walk(p)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }

    @Test
    void aRunCanStartFromABetaFittedOffline(@TempDir Path dir) throws Exception {
        Path sample = Path.of("..", "examples", "data", "sample-trl.jsonl").toAbsolutePath().normalize();
        Path fitConfig = Files.writeString(dir.resolve("fit.yaml"), "data: {path: " + sample + ", features: "
                + "prompt_embedding}\nepochs: 1\nbeta: {name: softplus_mlp, hidden: [6]}\nloss: {name: sigmoid}\n"
                + "optimizer: {name: adam, lr: 0.01}\n");
        Path fit = dir.resolve("fit");
        assertThat(CliRun.of("fit-beta", "--config", fitConfig.toString(), "--out", fit.toString()).exitCode()).isZero();

        // The train config names no β: it becomes the fitted one (the bandit's prompts are 8 wide, as the fit's).
        Path config = Files.writeString(dir.resolve("train.yaml"), "steps: 3\nbatch_size: 32\n"
                + "task: {name: bandit, prompts: 128, prompt_dim: 8, response_dim: 4, candidates: 4}\n"
                + "loss: {name: sigmoid}\noptimizer: {name: adam, lr: 0.01}\n");
        Path run = dir.resolve("run");
        CliRun r = CliRun.of("train", "--config", config.toString(), "--beta-from", fit.toString(), "--out",
                run.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode recorded = JSON.readTree(run.resolve(RunDirectory.CONFIG).toFile());
        assertThat(recorded.get("beta_from").asText()).isEqualTo(fit.toString());
        assertThat(recorded.get("beta")).isEqualTo(JSON.readTree(fit.resolve(RunDirectory.CONFIG).toFile()).get("beta"));

        CliRun resumed = CliRun.of("train", "--resume", run.toString(), "--beta-from", fit.toString());
        assertThat(resumed.exitCode()).isEqualTo(2);
        assertThat(resumed.err()).contains("--beta-from: a resumed run keeps the β it was started with");
    }
}
