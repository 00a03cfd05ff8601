package betalab.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SeedCommandTest {

    @Test
    void printsTheSeedDocumentsTable() {
        CliRun r = CliRun.of("seed");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("Epoch 40, Loss: 0.6336", "Epoch 200, Loss: 0.5125",
                "1        0.3661     6.0694", "16       -0.1244    4.2200",
                "(Δ > 0): 3.6286", "(Δ < 0): 0.4246");
    }

    @Test
    void writesTheRunAsJson(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("out/seed.json");
        CliRun r = CliRun.of("seed", "--epochs", "5", "--samples", "6", "--json", file.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(file.toFile());
        assertThat(json.get("seed").asLong()).isEqualTo(42);
        assertThat(json.get("epochs").asInt()).isEqualTo(5);
        assertThat(json.get("delta")).hasSize(6);
        assertThat(json.get("beta")).hasSize(6);
        assertThat(json.get("loss")).hasSize(5);
        assertThat(json.has("mean_beta_pos") && json.has("mean_beta_neg")).isTrue();
        assertThat(json.at("/config/beta/name").asText()).isEqualTo("softplus_mlp");
        assertThat(json.at("/config/samples").asInt()).isEqualTo(6);
        assertThat(json.get("provenance").get("extensions").toString()).contains("LossesExtension",
                "BetaSchemesExtension", "OptimizersExtension");
        try (var files = Files.list(file.getParent())) {
            assertThat(files).containsExactly(file);
        }
    }

    /** The first epoch's loss, taken before any update: mean log(1 + exp(−β·Δ)) with β the scheme's initial one. */
    private static double firstLoss(JsonNode json, double beta) {
        double sum = 0;
        for (JsonNode d : json.get("delta")) {
            sum += Math.log1p(Math.exp(-beta * d.asDouble()));
        }
        return sum / json.get("delta").size();
    }

    private static JsonNode seed(Path json, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("seed", "--epochs", "1", "--json", json.toString()));
        args.addAll(List.of(options));
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.err()).isZero();
        return new ObjectMapper().readTree(json.toFile());
    }

    /** --knob passes a knob to the β scheme: learnable_scalar starts from its init. */
    @Test
    void aKnobOfTheBetaSchemeIsPassedOn(@TempDir Path dir) throws Exception {
        JsonNode initial = seed(dir.resolve("default.json"), "--beta", "learnable_scalar");
        JsonNode half = seed(dir.resolve("half.json"), "--beta", "learnable_scalar", "--knob", "init=0.5");

        assertThat(half.at("/config/beta/init").asDouble()).isEqualTo(0.5);
        assertThat(half.get("loss").get(0).asDouble()).isCloseTo(firstLoss(half, 0.5), within(1e-6));
        assertThat(initial.get("loss").get(0).asDouble()).isCloseTo(firstLoss(initial, 0.1), within(1e-6));
        assertThat(half.get("delta")).isEqualTo(initial.get("delta"));
        assertThat(firstLoss(half, 0.5)).isNotCloseTo(firstLoss(half, 0.1), within(1e-3));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--epochs|-1|--epochs must be > 0, got -1",
            "--epochs|0|--epochs must be > 0, got 0",
            "--samples|0|--samples must be ≥ 2, got 0",
            "--rng|numpy|--rng must be one of torch, java, got 'numpy'",
            "--lr|abc|--lr",
            "--hidden|3,0|--hidden must be > 0, got 0",
            "--beta|nonexistent|--beta names unknown beta 'nonexistent'; available: ",
            "--backend|nonexistent|unknown tensor backend 'nonexistent'"})
    void badOptionsGiveOneLineAndExitCodeTwo(String option, String value, String message, @TempDir Path dir) {
        Path json = dir.resolve("never.json");
        CliRun r = CliRun.of("seed", option, value, "--json", json.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).contains(message).doesNotContain("\n");
        assertThat(json).doesNotExist();
    }

    /** A bad --knob names the option it came from, --knob NAME. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "init=-1|--knob init must be > 0, got -1",
            "init=abc|--knob init expects ",
            "nonexistent=1|--knob nonexistent is not a knob of beta 'learnable_scalar'"})
    void aBadKnobNamesIt(String knob, String message, @TempDir Path dir) {
        Path json = dir.resolve("never.json");
        CliRun r = CliRun.of("seed", "--beta", "learnable_scalar", "--knob", knob, "--json", json.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("betalab seed: ").contains(message).doesNotContain("\n");
        assertThat(json).doesNotExist();
    }
}
