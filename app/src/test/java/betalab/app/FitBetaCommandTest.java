package betalab.app;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.api.registry.Extensions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
