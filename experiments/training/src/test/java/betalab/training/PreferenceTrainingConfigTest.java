package betalab.training;

import static betalab.training.Runs.REGISTRY;
import static betalab.training.Runs.json;
import static betalab.training.Runs.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Train configs: defaults filled in and recorded, replayed from the record, and refused where they do not fit. */
class PreferenceTrainingConfigTest {
    /** Lines 1 to 4; whatever a test adds starts on line 5. */
    private static final String MINIMAL = "task: {name: bandit, prompts: 64, prompt_dim: 3, response_dim: 3}\n"
            + "loss: {name: sigmoid}\nbeta: {name: fixed}\noptimizer: {name: adam}\n";

    @TempDir
    Path dir;

    private Path file(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private static Config read(Path file) {
        return PreferenceTraining.resolve(ConfigTree.read(file), REGISTRY);
    }

    @Test
    void fillsDefaultsAndKeepsKnobs() throws IOException {
        Config c = read(file("c.yaml", "loss: {name: sigmoid}\nbeta: {name: fixed, beta: 0.2}\n"
                + "optimizer: {name: adam}\nepochs: 2\nbatch_size: 100\n"
                + "task: {name: bandit, prompts: 500, label_noise: 0.1}\n"));
        assertThat(c.component("beta").knobs()).containsEntry("beta", 0.2);
        assertThat(c.component("task").knobs()).containsEntry("label_noise", 0.1).containsEntry("candidates", 8);
        assertThat(c.component("policy").name()).isEqualTo("log_linear");
        assertThat(c.section("reference_sync").asMap()).containsEntry("mode", "none");
        // 400 training pairs in batches of 100, for 2 epochs; evaluations every tenth of that.
        Config derived = new PreferenceTraining(c, REGISTRY).config();
        assertThat(derived.get(PreferenceTraining.STEPS)).isEqualTo(2 * 4);
        assertThat(derived.get(PreferenceTraining.EPOCHS)).isZero();
        assertThat(derived.get(PreferenceTraining.EVAL_EVERY)).isEqualTo(1);
        assertThat(derived.get(PreferenceTraining.CHECKPOINT_EVERY)).isEqualTo(1);
    }

    @Test
    void readsJsonToo() throws IOException {
        Config c = read(file("c.json", "{\"loss\": {\"name\": \"ipo\"}, \"beta\": {\"name\": \"fixed\"},"
                + " \"optimizer\": {\"name\": \"sgd\"}, \"steps\": 5}"));
        assertThat(c.component("loss").name()).isEqualTo("ipo");
        assertThat(c.get(PreferenceTraining.STEPS)).isEqualTo(5);
    }

    /** Each complaint names the file, the line and the field, and the run directory is never made. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "steps: 3\\nbatch_size: -4|c.yaml:6: field 'batch_size' must be > 0, got -4",
            // Numbers that are not what was written are refused where they were written.
            "steps: -5\\nseed: 1|c.yaml:5: field 'steps' must be ≥ 0, got -5",
            "steps: 20.5|c.yaml:5: field 'steps' expects a whole number, got '20.5'",
            "steps: 3\\nseed: 0.7|c.yaml:6: field 'seed' expects a whole number, got '0.7'",
            "steps: 3\\nbatch_size: 32.9|c.yaml:6: field 'batch_size' expects a whole number, got '32.9'",
            "steps: 3\\nsteps: 4|c.yaml:6: field 'steps' is given twice",
            "steps: 3\\ngrad_clip: .inf|c.yaml:6: field 'grad_clip' must be a finite number within float32's range",
            "steps: 3\\ngrad_clip: 1e308|c.yaml:6: field 'grad_clip' must be a finite number within float32's range",
            "steps: 3\\nbogus: 1|c.yaml:6: field 'bogus' is unknown; known: batch_size, beta, beta_from, checkpoint_every",
            "steps: 3\\nenvironment: {prompts: 500}|c.yaml:6: field 'environment' is no longer read: the bandit's "
                    + "settings are the task's now: task: {name: bandit, prompts: …}",
            "steps: x|c.yaml:5: field 'steps' expects a whole number, got 'x'",
            "steps: 3\\nreference_sync: {mode: sometimes}|c.yaml:6: field 'reference_sync.mode' must be one of none,"
                    + " soft, hard, got 'sometimes'",
            "steps: 3\\n  : : [|c.yaml:6: ",
            "epochs: 1\\nsteps: 3|c.yaml:6: field 'steps' or 'epochs': give exactly one of them, > 0",
            "seed: 1|c.yaml: field 'steps' or 'epochs': give exactly one of them, > 0"})
    void refusesBadConfigsNamingFileLineAndField(String extra, String message) throws IOException {
        refuses(MINIMAL + extra.replace("\\n", "\n") + "\n", message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // A knob of the loss out of its range, on the loss's own line.
            "loss: {name: cdpo, epsilon: 0.7}|c.yaml:2: field 'loss.epsilon' must be ≥ 0 and ≤ 0.5, got 0.7",
            "loss: {name: cdpo, epsilon: 0.1, eps: 1}|c.yaml:2: field 'loss.eps' is not a knob of loss 'cdpo'; "
                    + "known: epsilon, divergence, alpha",
            "loss: {name: sigmoidal}|c.yaml:2: field 'loss.name' names unknown loss 'sigmoidal'; available: alphapo, aot, ",
            "loss: {epsilon: 0.1}|c.yaml:2: field 'loss.name' is missing: name the loss",
            "task: {name: bandit, temp: 1}|c.yaml:1: field 'task.temp' is not a knob of task 'bandit'",
            "task: {name: bandit, prompts: 1}|c.yaml:1: field 'task.prompts' must be ≥ 2, got 1",
            "optimizer: {name: adam, lr: Infinity}|c.yaml:4: field 'optimizer.lr' must be a finite number within float32",
            "beta: {name: fixed, beta: 1e308}|c.yaml:3: field 'beta.beta' must be a finite number within float32",
            "optimizer: {name: adam, lr: -1}|c.yaml:4: field 'optimizer.lr' must be > 0, got -1.0",
            // A refusal the component makes when built is reported against its section.
            "optimizer: {name: sgd, nesterov: true}|c.yaml:4: field 'optimizer' (optimizer 'sgd'): sgd: knob "
                    + "'nesterov' needs momentum > 0"})
    void refusesBadComponentSections(String section, String message) throws IOException {
        String field = section.substring(0, section.indexOf(':'));
        String text = MINIMAL.lines().map(l -> l.startsWith(field + ":") ? section : l)
                .reduce("", (a, b) -> a + b + "\n") + "steps: 3\n";
        refuses(text, message);
    }

    @Test
    void wpoWithABatchCoupledLossIsRefusedAtItsField() throws IOException {
        refuses(MINIMAL.replace("loss: {name: sigmoid}", "loss: {name: aot}") + "use_weighting: true\nsteps: 3\n",
                "c.yaml:5: field 'use_weighting' cannot be true with the batch-coupled loss 'aot'");
    }

    @Test
    void aMissingLossIsNamed() throws IOException {
        refuses(MINIMAL.replace("loss: {name: sigmoid}\n", "") + "steps: 3\n",
                "c.yaml: missing field 'loss' (a loss by name, e.g. loss: {name: …})");
    }

    private void refuses(String text, String message) throws IOException {
        Path config = file("c.yaml", text);
        Path run = dir.resolve("run");
        assertThatThrownBy(() -> PreferenceTraining.train(REGISTRY, read(config), run, Integer.MAX_VALUE, r -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(dir.resolve(message.substring(0, message.indexOf(':'))).toString())
                .hasMessageContaining(message.substring(message.indexOf(':')));
        assertThat(run).doesNotExist();
    }

    @Test
    void configJsonRecordsEveryResolvedValueAndReplaysTheRunAlone() throws IOException {
        Path yaml = file("c.yaml", MINIMAL.replace("{name: sigmoid}", "{name: cdpo}")
                + "steps: 12\nbatch_size: 16\n");
        PreferenceTraining.train(REGISTRY, read(yaml), dir.resolve("first"), Integer.MAX_VALUE, r -> { });

        JsonNode recorded = json(dir.resolve("first").resolve(RunDirectory.CONFIG));
        // Component defaults nobody typed: the loss's own and its divergence's, β's common switches, …
        assertThat(recorded.get("loss")).isEqualTo(Runs.JSON.valueToTree(Map.of("name", "cdpo", "epsilon", 0.0,
                "divergence", "reverse_kl", "alpha", 0.5)));
        assertThat(recorded.get("beta")).isEqualTo(Runs.JSON.valueToTree(Map.of("name", "fixed", "beta", 0.1,
                "detach", false, "beta_penalty", 0.0, "beta_target", 0.1)));
        assertThat(recorded.get("policy")).isEqualTo(Runs.JSON.valueToTree(Map.of("name", "log_linear",
                "init_scale", 1.0)));
        assertThat(recorded.get("optimizer").get("lr").asDouble()).isEqualTo(1e-3);
        assertThat(recorded.get("optimizer").get("beta2").asDouble()).isEqualTo(0.999);
        assertThat(recorded.get("task").get("candidates").asInt()).isEqualTo(8);
        assertThat(recorded.get("task").get("label_noise").asDouble()).isEqualTo(0.0);
        assertThat(recorded.get("reference_sync")).isEqualTo(Runs.JSON.valueToTree(Map.of("mode", "none", "every", 0,
                "alpha", 1.0)));
        // … and the experiment's own, derived ones resolved to what the run used.
        assertThat(recorded.get("seed").asLong()).isZero();
        assertThat(recorded.get("rng").asText()).isEqualTo("torch");
        assertThat(recorded.get("eval_every").asInt()).isEqualTo(1);
        assertThat(recorded.get("checkpoint_every").asInt()).isEqualTo(1);
        assertThat(recorded.get("log_every").asInt()).isEqualTo(1);
        assertThat(recorded.get("grad_clip").asDouble()).isZero();
        assertThat(recorded.fieldNames()).toIterable().containsExactlyInAnyOrder("seed", "rng", "steps", "epochs",
                "batch_size", "eval_every", "checkpoint_every", "log_every", "grad_clip", "use_weighting", "ld_alpha", "beta_from",
                "task",
                "policy",
                "reference_sync", "schedule", "loss", "beta", "optimizer");

        // The record alone replays the run, and records itself unchanged.
        Config replay = read(dir.resolve("first").resolve(RunDirectory.CONFIG));
        PreferenceTraining.train(REGISTRY, replay, dir.resolve("second"), Integer.MAX_VALUE, r -> { });
        assertThat(rows(dir.resolve("second"))).isEqualTo(rows(dir.resolve("first"))).hasSize(13);
        assertThat(json(dir.resolve("second").resolve(RunDirectory.CONFIG))).isEqualTo(recorded);
    }
}
