package betalab.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
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
        assertThat(json.get("provenance").get("extensions").toString()).contains("LossesExtension",
                "BetaSchemesExtension", "OptimizersExtension");
        try (var files = Files.list(file.getParent())) {
            assertThat(files).containsExactly(file);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--epochs|-1|--epochs must be ≥ 1, got -1",
            "--samples|0|--samples must be ≥ 2, got 0",
            "--rng|numpy|--rng",
            "--lr|abc|--lr",
            "--hidden|3,0|--hidden must be one or more widths ≥ 1",
            "--beta|nonexistent|unknown beta estimator 'nonexistent'",
            "--backend|nonexistent|unknown tensor backend 'nonexistent'"})
    void badOptionsGiveOneLineAndExitCodeTwo(String option, String value, String message, @TempDir Path dir) {
        Path json = dir.resolve("never.json");
        CliRun r = CliRun.of("seed", option, value, "--json", json.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).contains(message).doesNotContain("\n");
        assertThat(json).doesNotExist();
    }
}
