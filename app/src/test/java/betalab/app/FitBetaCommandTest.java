package betalab.app;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.api.registry.Extensions;
import betalab.api.registry.Registry;
import betalab.data.fit.BetaFitter;
import betalab.training.DirectoryLock;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FitBetaCommandTest {
    /** The shipped example, from the app module's folder (where tests run). */
    private static final Path SAMPLE_CONFIG = Path.of("../examples/fit-beta.yaml");

    @TempDir
    Path dir;

    @Test
    void fitsTheShippedTrlSampleAndReports() throws Exception {
        CliRun r = CliRun.of("fit-beta", "--config", SAMPLE_CONFIG.toString(), "--out", dir.resolve("run").toString());

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("epoch   0  step      0  eval/loss", "epoch  30", "completed after 240 steps",
                "eval/rewards/accuracies", "eval/beta/mean");
        // Each epoch's line is its last training row merged with its evaluation.
        assertThat(r.out().lines().filter(l -> l.startsWith("epoch ")).toList()).hasSize(31)
                .allMatch(l -> l.contains("eval/loss")).filteredOn(l -> !l.startsWith("epoch   0"))
                .allMatch(l -> l.contains("  loss ") && l.contains("beta/mean"));
        for (String file : new String[] {"config.json", "provenance.json", "metrics.csv", "metrics.jsonl",
                "summary.json", "beta.json"}) {
            assertThat(dir.resolve("run").resolve(file)).isNotEmptyFile();
        }
        JsonNode summary = new ObjectMapper().readTree(dir.resolve("run/summary.json").toFile());
        assertThat(summary.fieldNames()).toIterable().contains("status", "steps_completed", "steps",
                "epochs_completed", "epochs", "last", "last_eval", "best_eval", "train_pairs", "validation_pairs");
        assertThat(summary.get("status").asText()).isEqualTo("completed");
        assertThat(List.of(summary.get("steps_completed").asInt(), summary.get("steps").asInt(),
                summary.get("epochs_completed").asInt(), summary.get("epochs").asInt())).containsExactly(240, 240, 30, 30);
        assertThat(summary.get("train_pairs").asInt() + summary.get("validation_pairs").asInt()).isEqualTo(300);
        assertThat(summary.at("/last_eval/step").asInt()).isEqualTo(240);
    }

    @Test
    void badDataIsOneLineNamingFileLineAndFieldAndWritesNothing() throws Exception {
        Path data = Files.writeString(dir.resolve("pairs.jsonl"), "{\"prompt\": \"p\", \"chosen\": \"a\", "
                + "\"rejected\": \"b\", \"policy_chosen_logps\": -1, \"policy_rejected_logps\": -2, "
                + "\"ref_chosen_logps\": -1, \"ref_rejected_logps\": -1, \"x\": [1, 2]}\n{\"prompt\": \"q\", "
                + "\"chosen\": \"a\", \"rejected\": \"b\", \"policy_chosen_logps\": -1, \"policy_rejected_logps\": -2, "
                + "\"ref_chosen_logps\": -1, \"ref_rejected_logps\": -1, \"x\": [1, 2, 3]}\n");
        Path config = Files.writeString(dir.resolve("fit.yaml"), "data: {path: pairs.jsonl, features: x}\nepochs: 1\n"
                + "beta: {name: softplus_mlp}\nloss: {name: sigmoid}\noptimizer: {name: adam}\n");

        CliRun r = CliRun.of("fit-beta", "--config", config.toString(), "--out", dir.resolve("run").toString());

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("betalab fit-beta: error: " + data
                + ", line 2: field 'x' has 3 numbers, expected 2 as on line 1");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @Test
    void aBadConfigIsOneLineAndExitCodeTwo() throws Exception {
        Path config = Files.writeString(dir.resolve("bad.yaml"), "data: {path: x.jsonl}\nepochs: 0\n"
                + "beta: {name: fixed}\nloss: {name: sigmoid}\noptimizer: {name: adam}\n");

        CliRun r = CliRun.of("fit-beta", "--config", config.toString());

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("betalab fit-beta: error: " + config + ":2: field 'epochs' must be ")
                .doesNotContain("\n");
    }

    @Test
    void thePluginPathIsCheckedAndOnlyLastsForTheCommand() throws Exception {
        Path absent = dir.resolve("absent");
        CliRun missing = CliRun.of("list", "--plugin-path", absent.toString());
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err().strip()).isEqualTo("betalab list: error: plugin path " + absent
                + ": no such file or directory");

        Path empty = Files.createDirectories(dir.resolve("plugins"));
        CliRun none = CliRun.of("--plugin-path", empty.toString(), "list");
        assertThat(none.exitCode()).as(none.err()).isZero();
        assertThat(none.out()).containsPattern("Extensions loaded: [^\n]*betalab.loss.LossesExtension");
        assertThat(System.getProperty(Extensions.PLUGINS_PROPERTY)).isNull();
    }

    /** A fit of softplus_mlp on 14 pairs with two features, three epochs of batches of two, stopped after {@code stop} steps. */
    private Path stoppedFit(int stop) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= 14; i++) {
            lines.add("{\"prompt\": \"p" + i + "\", \"chosen\": \"a\", \"rejected\": \"b\", \"policy_chosen_logps\": "
                    + (-0.5 - i % 5) + ", \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1.5, "
                    + "\"ref_rejected_logps\": -1.5, \"x\": [" + (i % 3 - 1) + ", " + 0.1 * i + "]}");
        }
        Path data = Files.write(dir.resolve("pairs.jsonl"), lines);
        Path config = Files.writeString(dir.resolve("fit.yaml"), "data: {path: " + data + ", features: x}\n"
                + "epochs: 3\nbatch_size: 2\nvalidation_fraction: 0.25\nbeta: {name: softplus_mlp, hidden: [3]}\n"
                + "loss: {name: sigmoid}\noptimizer: {name: adam, lr: 0.05}\n");
        Registry registry = Registry.discover();
        Path run = dir.resolve("run");
        assertThat(BetaFitter.fit(registry, BetaFitter.read(config, registry), run, stop, row -> { }).status())
                .isEqualTo("interrupted");
        return run;
    }

    @Test
    void resumesAStoppedFitFromItsLastCompletedEpoch() throws Exception {
        Path run = stoppedFit(7);
        int steps = new ObjectMapper().readTree(run.resolve("summary.json").toFile()).get("steps").asInt();

        CliRun r = CliRun.of("fit-beta", "--resume", run.toString());

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("completed after " + steps + " steps: " + run).contains("epoch   3")
                .doesNotContain("epoch   1");
        assertThat(run.resolve("beta.json")).isNotEmptyFile();
        // The resume added the run's recorded plugins (none) to the plugin path only for the command.
        assertThat(System.getProperty(Extensions.PLUGINS_PROPERTY)).isNull();
    }

    /** A resume keeps the run's own directory and backend: other options are refused, on one line. */
    @Test
    void aResumeRefusesOptionsThatContradictTheRunsRecord() throws Exception {
        Path run = stoppedFit(3);
        byte[] summary = Files.readAllBytes(run.resolve("summary.json"));

        CliRun out = CliRun.of("fit-beta", "--resume", run.toString(), "--out", dir.resolve("elsewhere").toString());
        CliRun backend = CliRun.of("fit-beta", "--resume", run.toString(), "--backend", "nd4j");
        CliRun both = CliRun.of("fit-beta", "--resume", run.toString(), "--config", "x.yaml");

        assertThat(out.exitCode()).isEqualTo(2);
        assertThat(out.err().strip()).isEqualTo("betalab fit-beta: --out: a resumed run stays in its own directory " + run);
        assertThat(backend.exitCode()).isEqualTo(2);
        assertThat(backend.err().strip()).isEqualTo("betalab fit-beta: --backend nd4j: the run in " + run
                + " was started on 'jvm'; leave --backend out to resume it there");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err().strip()).doesNotContain("\n").contains("mutually exclusive");
        assertThat(Files.readAllBytes(run.resolve("summary.json"))).isEqualTo(summary);
        assertThat(dir.resolve("elsewhere")).doesNotExist();
    }

    /** A fit on a directory another process holds fails at once, naming the owner. */
    @Test
    void aResumeOfALiveFitFailsAtOnceNamingTheOwner() throws Exception {
        Path run = stoppedFit(3);
        byte[] summary = Files.readAllBytes(run.resolve("summary.json"));

        CliRun r;
        try (DirectoryLock other = DirectoryLock.acquire(run)) {
            r = CliRun.of("fit-beta", "--resume", run.toString());
        }

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err().strip()).doesNotContain("\n").startsWith("betalab fit-beta: error: " + run
                + " is in use by another betalab process (pid " + ProcessHandle.current().pid() + ", since ");
        assertThat(Files.readAllBytes(run.resolve("summary.json"))).isEqualTo(summary);
    }
}
