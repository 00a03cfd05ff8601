package betalab.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.registry.Registry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigReaderTest {
    private static final String MINIMAL = "loss: {name: sigmoid}\nbeta: {name: fixed}\noptimizer: {name: adam}\n";

    @TempDir
    Path dir;

    private Path file(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    @Test
    void fillsDefaultsAndKeepsKnobs() throws IOException {
        TrainConfig c = ConfigReader.read(file("c.yaml", MINIMAL.replace("{name: fixed}", "{name: fixed, beta: 0.2}")
                + "epochs: 2\nbatch_size: 100\nenvironment: {prompts: 500, label_noise: 0.1}\n"));
        assertThat(c.beta()).isEqualTo(new ComponentConfig("fixed", Map.of("beta", 0.2)));
        assertThat(c.environment().labelNoise()).isEqualTo(0.1);
        assertThat(c.environment().candidates()).isEqualTo(8);
        assertThat(c.steps()).isEqualTo(2 * 4); // 400 training pairs in batches of 100
        assertThat(c.policy().name()).isEqualTo("log_linear");
    }

    @Test
    void readsJsonToo() throws IOException {
        TrainConfig c = ConfigReader.read(file("c.json",
                "{\"loss\": {\"name\": \"ipo\"}, \"beta\": {\"name\": \"fixed\"}, \"optimizer\": {\"name\": \"sgd\"},"
                        + " \"steps\": 5}"));
        assertThat(c.loss().name()).isEqualTo("ipo");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "steps: 3\\nbatch_size: -4|c.yaml:6: batch_size must be ≥ 1, got -4",
            "steps: 3\\nbogus: 1|field 'bogus': unknown field 'bogus'; known: batch_size",
            "steps: 3\\nenvironment: {prompts: 1}|environment.prompts must be ≥ 2, got 1",
            "steps: 3\\nenvironment: {temp: 1}|field 'environment.temp': unknown field 'temp'",
            "steps: x|field 'steps'",
            "epochs: 1\\nsteps: 3|give exactly one of the fields 'steps' and 'epochs'",
            "steps: 3\\nreference_sync: {mode: sometimes}|reference_sync.mode must be none, soft or hard",
            "steps: 3\\n  : : [|c.yaml:5"})
    void refusesBadConfigsNamingTheField(String extra, String message) throws IOException {
        Path config = file("c.yaml", MINIMAL + extra.replace("\\n", "\n") + "\n");
        assertThatThrownBy(() -> ConfigReader.read(config)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message).hasMessageStartingWith(config.toString());
    }

    @Test
    void aMissingSectionIsNamed() throws IOException {
        Path config = file("c.yaml", "beta: {name: fixed}\noptimizer: {name: adam}\nsteps: 3\n");
        assertThatThrownBy(() -> ConfigReader.read(config)).hasMessageContaining("missing field 'loss'");
        Path noName = file("d.yaml", MINIMAL.replace("{name: adam}", "{lr: 0.1}") + "steps: 3\n");
        assertThatThrownBy(() -> ConfigReader.read(noName)).hasMessageContaining("field 'optimizer'")
                .hasMessageContaining("missing field 'name'");
    }

    @Test
    void anUnknownNameOrKnobIsRefusedBeforeAnythingIsWritten() throws IOException {
        Trainer trainer = new Trainer(Registry.discover());
        TrainConfig unknownLoss = ConfigReader.read(file("c.yaml",
                MINIMAL.replace("sigmoid", "sigmoidal") + "steps: 3\n"));
        assertThatThrownBy(() -> trainer.train(unknownLoss, dir.resolve("run")))
                .hasMessageStartingWith("loss: unknown loss 'sigmoidal'; available: aot");
        TrainConfig badKnob = ConfigReader.read(file("d.yaml",
                MINIMAL.replace("{name: adam}", "{name: adam, lr: -1}") + "steps: 3\n"));
        assertThatThrownBy(() -> trainer.train(badKnob, dir.resolve("run")))
                .hasMessage("optimizer: optimizer 'adam': knob 'lr' must be > 0, got -1.0");
        assertThat(dir.resolve("run")).doesNotExist();
    }
}
