package betalab.data.fit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.registry.Registry;
import betalab.training.Config;
import betalab.training.RunDirectory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BetaFitterTest {
    private static final Registry REGISTRY = Registry.discover();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The shipped example, from the data module's folder (where tests run). */
    static final Path SAMPLE_CONFIG = Path.of("../../examples/fit-beta.yaml");
    private static final String PAIR = "{\"prompt\": \"%s\", \"chosen\": \"a\", \"rejected\": \"b\", "
            + "\"policy_chosen_logps\": %s, \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1.5, "
            + "\"ref_rejected_logps\": -1.5%s}";

    @TempDir
    Path dir;

    /** A two-epoch fit of a learnable scalar β by DPO over {@code data}, with these extra lines. */
    private Path config(Path data, String extra) throws IOException {
        return config(data, "learnable_scalar", "sigmoid", extra);
    }

    private Path config(Path data, String beta, String loss, String extra) throws IOException {
        return Files.writeString(dir.resolve("fit.yaml"), "data: {path: " + data + "}\nepochs: 2\n"
                + "beta: {name: " + beta + "}\nloss: {name: " + loss + "}\noptimizer: {name: adam, lr: 0.1}\n" + extra);
    }

    private Path pairs(String... lines) throws IOException {
        return Files.writeString(dir.resolve("pairs.jsonl"), String.join("\n", lines) + "\n");
    }

    private static String pair(String prompt, String policyChosen, String more) {
        return String.format(PAIR, prompt, policyChosen, more);
    }

    static List<JsonNode> rows(Path run) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve(RunDirectory.METRICS_JSONL))) {
            rows.add(JSON.readTree(line));
        }
        return rows;
    }

    /** A value as JSON reads it back from a file. */
    private static JsonNode json(Object value) throws IOException {
        return JSON.readTree(JSON.writeValueAsString(value));
    }

    private static RunDirectory.Summary fit(Path config, Path run) {
        return BetaFitter.fit(REGISTRY, BetaFitter.read(config, REGISTRY), run, row -> { });
    }

    @Test
    void fitsTheShippedSampleIntoARunDirectoryLikeATrainingRun() throws IOException {
        Config config = BetaFitter.read(SAMPLE_CONFIG, REGISTRY);
        int epochs = config.get(BetaFitter.EPOCHS);
        List<Map<String, Object>> reported = new ArrayList<>();
        Path run = dir.resolve("run");

        RunDirectory.Summary summary = BetaFitter.fit(REGISTRY, config, run, reported::add);

        assertThat(summary.status()).isEqualTo("completed");
        for (String file : List.of(RunDirectory.CONFIG, RunDirectory.PROVENANCE, RunDirectory.METRICS_CSV,
                RunDirectory.SUMMARY, "beta.json")) {
            assertThat(run.resolve(file)).isNotEmptyFile();
        }
        // config.json is the config as resolved, with the data file's SHA-256, and reads back to itself.
        JsonNode recorded = JSON.readTree(run.resolve(RunDirectory.CONFIG).toFile());
        ObjectNode expected = (ObjectNode) json(config.toMap());
        ((ObjectNode) expected.get("data")).put("sha256", BetaFitter.sha256(Path.of(expected.at("/data/path").asText())));
        assertThat(recorded).isEqualTo(expected);
        assertThat(json(BetaFitter.read(run.resolve(RunDirectory.CONFIG), REGISTRY).toMap())).isEqualTo(recorded);
        assertThat(reported).hasSize(epochs + 1);

        List<JsonNode> rows = rows(run);
        List<JsonNode> evals = rows.stream().filter(r -> r.has("eval/loss")).toList();
        assertThat(evals).hasSize(epochs + 1);
        assertThat(evals.get(0).get("step").asInt()).isZero();
        // An epoch's evaluation is in the row of its last training step.
        int stepsPerEpoch = summary.steps() / epochs;
        for (int e = 1; e <= epochs; e++) {
            assertThat(evals.get(e).get("step").asInt()).isEqualTo(e * stepsPerEpoch);
            assertThat(evals.get(e).get("epoch").asInt()).isEqualTo(e);
            assertThat(evals.get(e).has("loss")).isTrue();
        }
        // β learns where the policy's margin is positive: the held-out loss falls, the margin βh rises.
        assertThat(evals.get(evals.size() - 1).get("eval/loss").asDouble())
                .isLessThan(evals.get(0).get("eval/loss").asDouble() - 0.1);
        assertThat(evals.get(evals.size() - 1).get("eval/rewards_beta/margins").asDouble())
                .isGreaterThan(evals.get(0).get("eval/rewards_beta/margins").asDouble());
        // The seed's finding, on held-out prompts: β is larger where the margin is positive.
        JsonNode last = evals.get(evals.size() - 1);
        assertThat(last.get("eval/beta/mean_h_pos").asDouble()).isGreaterThan(
                2 * last.get("eval/beta/mean_h_neg").asDouble());
        JsonNode train = rows.stream().filter(r -> r.has("loss")).findFirst().orElseThrow();
        assertThat(train.fieldNames()).toIterable().contains("rewards/chosen", "rewards/rejected",
                "rewards/accuracies", "rewards/margins", "rewards_beta/margins", "logps/chosen", "logps/rejected",
                "beta/mean", "beta/std", "beta/min", "beta/max", "beta/mean_h_pos", "beta/mean_h_neg", "grad_norm");
        assertThat(Files.readAllLines(run.resolve(RunDirectory.METRICS_CSV))).hasSize(rows.size() + 1);

        JsonNode written = JSON.readTree(run.resolve(RunDirectory.SUMMARY).toFile());
        assertThat(written.get("status").asText()).isEqualTo("completed");
        assertThat(written.get("epochs_completed").asInt()).isEqualTo(epochs);
        assertThat(written.get("epochs").asInt()).isEqualTo(epochs);
        assertThat(written.get("steps_completed").asInt()).isEqualTo(written.get("steps").asInt())
                .isEqualTo(epochs * stepsPerEpoch);
        assertThat(written.get("last").get("step").asInt()).isEqualTo(epochs * stepsPerEpoch);
        assertThat(written.get("last_eval")).isEqualTo(last);
        assertThat(written.get("train_pairs").asLong() + written.get("validation_pairs").asLong()).isEqualTo(300);
        // An epoch is a pass over the training pairs in batches of 32, the last one however full.
        assertThat((written.get("train_pairs").asLong() + 31) / 32).isEqualTo(stepsPerEpoch);
        assertThat(written.get("validation_pairs").asDouble() / 300).isCloseTo(0.2, within(0.08));
        assertThat(written.get("feature_dim").asInt()).isEqualTo(8);
        assertThat(written.get("best_eval").get("eval/loss").asDouble())
                .isLessThanOrEqualTo(written.get("last_eval").get("eval/loss").asDouble());
        assertThat(JSON.readTree(run.resolve("beta.json").toFile()).has("head.mlp.layer0.weight")).isTrue();
        assertThat(JSON.readTree(run.resolve(RunDirectory.PROVENANCE).toFile()).has("ended")).isTrue();
    }

    /** A fit replays from its config.json, and refuses the data file once it has changed. */
    @Test
    void isDeterministicForASeedAndReplaysFromItsRecord() throws IOException {
        Path data = pairs(pair("p1", "-1", ""), pair("p2", "-3", ""), pair("p3", "-0.5", ""), pair("p4", "-2.5", ""),
                pair("p5", "-1", ""), pair("p6", "-4", ""));
        Path config = config(data, "batch_size: 2\nshuffle_buffer: 3\nlog_every: 1\nvalidation_fraction: 0.3\n");

        fit(config, dir.resolve("a"));
        fit(config, dir.resolve("b"));
        fit(dir.resolve("a").resolve(RunDirectory.CONFIG), dir.resolve("c"));

        assertThat(rows(dir.resolve("b"))).isEqualTo(rows(dir.resolve("a")));
        assertThat(rows(dir.resolve("c"))).isEqualTo(rows(dir.resolve("a")));
        Files.writeString(data, pair("p7", "-1", "") + "\n", java.nio.file.StandardOpenOption.APPEND);
        assertThatThrownBy(() -> fit(dir.resolve("a").resolve(RunDirectory.CONFIG), dir.resolve("d")))
                .hasMessageContaining("field 'data.sha256' is ").hasMessageContaining("the file changed");
        assertThat(dir.resolve("d")).doesNotExist();
    }

    @Test
    void aFixedBetaIsOnlyEvaluatedAndABatchCoupledLossSeesWholeBatches() throws IOException {
        Path data = pairs(pair("p1", "-1", ""), pair("p2", "-3", ""), pair("p3", "-0.5", ""));
        Path config = config(data, "fixed, beta: 0.25", "aot", "validation_fraction: 0\n");

        RunDirectory.Summary summary = fit(config, dir.resolve("run"));

        assertThat(summary.status()).isEqualTo("completed");
        assertThat((double) summary.last().get("beta/mean")).isEqualTo(0.25, within(1e-6));
        // Nothing to train: no optimizer, so no gradient norm or learning rate.
        assertThat(summary.last()).containsKey("loss").doesNotContainKeys("grad_norm", "learning_rate");
        assertThat(dir.resolve("run/beta.json")).hasContent("{ }");
    }

    @Test
    void badDataFailsBeforeAnythingIsWritten() throws IOException {
        Path data = pairs(pair("p1", "-1", ""), pair("p2", "-3", ""), pair("p3", "Infinity", ""));
        Path config = config(data, "");

        assertThatThrownBy(() -> fit(config, dir.resolve("run")))
                .hasMessage(data + ", line 3: field 'policy_chosen_logps' must be a finite number, got Infinity");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @Test
    void anOptionalColumnMustBeOnEveryLineOrNone() throws IOException {
        Path data = pairs(pair("p1", "-1", ", \"chosen_length\": 3, \"rejected_length\": 4"), pair("p2", "-3", ""));
        Path config = config(data, "");

        assertThatThrownBy(() -> fit(config, dir.resolve("run"))).hasMessage(data
                + ", line 2: field 'chosen_length' is missing, though line 1 gives it; give it on every line or on none");
    }

    @Test
    void refusesAFitWithNothingToTrainOn() throws IOException {
        Path data = pairs(pair("same prompt", "-1", ""), pair("same prompt", "-3", ""));
        assertThat(BetaFitter.isValidation("same prompt", 0.99)).isTrue();
        Path config = config(data, "validation_fraction: 0.99\n");

        assertThatThrownBy(() -> fit(config, dir.resolve("run"))).hasMessage(data
                + ": all 2 pairs fall in the validation split (validation_fraction 0.99), none are left to train on");
    }

    @Test
    void theSplitIsAFixedHashOfThePromptNearTheFraction() {
        int held = 0;
        for (int i = 0; i < 20_000; i++) {
            held += BetaFitter.isValidation("prompt " + i, 0.1) ? 1 : 0;
        }
        assertThat(held / 20_000.0).isCloseTo(0.1, within(0.01));
        assertThat(BetaFitter.isValidation("prompt 7", 0.1)).isEqualTo(BetaFitter.isValidation("prompt 7", 0.1));
        assertThat(BetaFitter.isValidation("prompt 7", 0.0)).isFalse();
    }

    /** Each misfit fails on reading or, at the latest, before anything is written. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "bogus: 1|field 'bogus' is unknown; known: batch_size",
        "batch_size: 0|fit.yaml:6: field 'batch_size' must be > 0, got 0",
        "validation_fraction: 1|field 'validation_fraction' must be ≥ 0 and < 1, got 1.0",
        "data: {path: x.jsonl, format: csv}|field 'data.format' must be one of trl, conversational, hh",
        "data: {format: trl}|field 'data.path' is missing: name the preference file"})
    void refusesBadConfigsNamingTheField(String extra, String message) throws IOException {
        String data = extra.startsWith("data:") ? "" : "data: {path: x.jsonl}\n";
        Path config = Files.writeString(dir.resolve("fit.yaml"), "epochs: 1\nbeta: {name: fixed}\n"
                + "loss: {name: sigmoid}\noptimizer: {name: adam}\n" + data + extra + "\n");

        assertThatThrownBy(() -> fit(config, dir.resolve("run"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(config.toString()).hasMessageContaining(message);
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @Test
    void aRelativeDataPathIsTakenFromTheConfigsFolder() throws IOException {
        Files.createDirectories(dir.resolve("configs"));
        Path config = Files.writeString(dir.resolve("configs/fit.yaml"), "data: {path: ../pairs.jsonl}\nepochs: 1\n"
                + "beta: {name: fixed}\nloss: {name: sigmoid}\noptimizer: {name: adam}\n");

        assertThat(BetaFitter.read(config, REGISTRY).section("data").get(BetaFitter.PATH))
                .isEqualTo(dir.resolve("pairs.jsonl").toString());
    }
}
