package betalab.data.fit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.registry.Registry;
import betalab.training.RunDirectory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
    /** The shipped example, from the experiments module's folder (where tests run). */
    static final Path SAMPLE_CONFIG = Path.of("../examples/fit-beta.yaml");
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
        for (String line : Files.readAllLines(run.resolve(FitRun.METRICS_JSONL))) {
            rows.add(JSON.readTree(line));
        }
        return rows;
    }

    @Test
    void fitsTheShippedSampleIntoARunDirectoryLikeATrainingRun() throws IOException {
        FitConfig config = FitConfigReader.read(SAMPLE_CONFIG);
        List<Map<String, Object>> reported = new ArrayList<>();
        Path run = dir.resolve("run");

        RunDirectory.Summary summary = new BetaFitter(REGISTRY, reported::add).fit(config, run);

        assertThat(summary.status()).isEqualTo("completed");
        assertThat(run).isDirectoryContaining(p -> p.endsWith(FitRun.CONFIG)).isDirectoryContaining(
                p -> p.endsWith(FitRun.PROVENANCE)).isDirectoryContaining(p -> p.endsWith(FitRun.METRICS_CSV))
                .isDirectoryContaining(p -> p.endsWith(FitRun.BETA));
        assertThat(FitConfigReader.read(run.resolve(FitRun.CONFIG))).isEqualTo(config);
        assertThat(reported).hasSize(config.epochs() + 1);

        List<JsonNode> rows = rows(run);
        List<JsonNode> evals = rows.stream().filter(r -> r.has("eval/loss")).toList();
        assertThat(evals).hasSize(config.epochs() + 1);
        assertThat(evals.get(0).get("step").asInt()).isZero();
        // β learns where the policy's margin is positive: the held-out loss falls, the margin βh rises.
        assertThat(evals.get(evals.size() - 1).get("eval/loss").asDouble())
                .isLessThan(evals.get(0).get("eval/loss").asDouble() - 0.1);
        assertThat(evals.get(evals.size() - 1).get("eval/rewards/margins").asDouble())
                .isGreaterThan(evals.get(0).get("eval/rewards/margins").asDouble());
        // The seed's finding, on held-out prompts: β is larger where the margin is positive.
        JsonNode last = evals.get(evals.size() - 1);
        assertThat(last.get("eval/beta/mean_h_pos").asDouble()).isGreaterThan(
                2 * last.get("eval/beta/mean_h_neg").asDouble());
        JsonNode train = rows.stream().filter(r -> r.has("loss")).findFirst().orElseThrow();
        assertThat(train.fieldNames()).toIterable().contains("rewards/chosen", "rewards/rejected",
                "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected", "beta/mean", "beta/std",
                "beta/min", "beta/max", "beta/mean_h_pos", "beta/mean_h_neg", "grad_norm");
        assertThat(Files.readAllLines(run.resolve(FitRun.METRICS_CSV))).hasSize(rows.size() + 1);

        JsonNode written = JSON.readTree(run.resolve(FitRun.SUMMARY).toFile());
        assertThat(written.get("train_pairs").asLong() + written.get("validation_pairs").asLong()).isEqualTo(300);
        assertThat(written.get("validation_pairs").asDouble() / 300).isCloseTo(0.2, within(0.08));
        assertThat(written.get("feature_dim").asInt()).isEqualTo(8);
        assertThat(written.get("best_eval").get("eval/loss").asDouble())
                .isLessThanOrEqualTo(written.get("last_eval").get("eval/loss").asDouble());
        assertThat(JSON.readTree(run.resolve(FitRun.BETA).toFile()).has("mlp.layer0.weight")).isTrue();
        assertThat(JSON.readTree(run.resolve(FitRun.PROVENANCE).toFile()).has("ended")).isTrue();
    }

    @Test
    void isDeterministicForASeed() throws IOException {
        Path data = pairs(pair("p1", "-1", ""), pair("p2", "-3", ""), pair("p3", "-0.5", ""), pair("p4", "-2.5", ""),
                pair("p5", "-1", ""), pair("p6", "-4", ""));
        FitConfig config = FitConfigReader.read(config(data, "batch_size: 2\nshuffle_buffer: 3\nlog_every: 1\n"
                + "validation_fraction: 0.3\n"));

        new BetaFitter(REGISTRY).fit(config, dir.resolve("a"));
        new BetaFitter(REGISTRY).fit(config, dir.resolve("b"));

        assertThat(rows(dir.resolve("b"))).isEqualTo(rows(dir.resolve("a")));
    }

    @Test
    void aFixedBetaIsOnlyEvaluatedAndABatchCoupledLossSeesWholeBatches() throws IOException {
        Path data = pairs(pair("p1", "-1", ""), pair("p2", "-3", ""), pair("p3", "-0.5", ""));
        FitConfig config = FitConfigReader.read(config(data, "fixed, beta: 0.25", "aot", "validation_fraction: 0\n"));

        RunDirectory.Summary summary = new BetaFitter(REGISTRY).fit(config, dir.resolve("run"));

        assertThat(summary.status()).isEqualTo("completed");
        assertThat((double) summary.last().get("beta/mean")).isEqualTo(0.25, within(1e-6));
        assertThat((double) summary.last().get("grad_norm")).isZero();
    }

    @Test
    void badDataFailsBeforeAnythingIsWritten() throws IOException {
        Path data = pairs(pair("p1", "-1", ""), pair("p2", "-3", ""), pair("p3", "Infinity", ""));
        FitConfig config = FitConfigReader.read(config(data, ""));

        assertThatThrownBy(() -> new BetaFitter(REGISTRY).fit(config, dir.resolve("run")))
                .hasMessage(data + ", line 3: field 'policy_chosen_logps' must be a finite number, got Infinity");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @Test
    void anOptionalColumnMustBeOnEveryLineOrNone() throws IOException {
        Path data = pairs(pair("p1", "-1", ", \"chosen_length\": 3, \"rejected_length\": 4"), pair("p2", "-3", ""));
        FitConfig config = FitConfigReader.read(config(data, ""));

        assertThatThrownBy(() -> new BetaFitter(REGISTRY).fit(config, dir.resolve("run"))).hasMessage(data
                + ", line 2: field 'chosen_length' is missing, though line 1 gives it; give it on every line or on none");
    }

    @Test
    void refusesAFitWithNothingToTrainOn() throws IOException {
        Path data = pairs(pair("same prompt", "-1", ""), pair("same prompt", "-3", ""));
        assertThat(BetaFitter.isValidation("same prompt", 0.99)).isTrue();
        FitConfig config = FitConfigReader.read(config(data, "validation_fraction: 0.99\n"));

        assertThatThrownBy(() -> new BetaFitter(REGISTRY).fit(config, dir.resolve("run"))).hasMessage(data
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

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "bogus: 1|field 'bogus': unknown field 'bogus'; known: batch_size",
        "batch_size: 0|fit.yaml:7: batch_size must be ≥ 1, got 0",
        "validation_fraction: 1|validation_fraction must be in [0, 1), got 1.0",
        "data: {path: x.jsonl, format: csv}|field 'data': unknown format 'csv'; expected one of trl, conversational, hh",
        "data: {format: trl}|field 'data': missing field 'path'"})
    void refusesBadConfigsNamingTheField(String extra, String message) throws IOException {
        String data = extra.startsWith("data:") ? "" : "data: {path: x.jsonl}\n";
        Path config = Files.writeString(dir.resolve("fit.yaml"), "epochs: 1\nbeta: {name: fixed}\n"
                + "loss: {name: sigmoid}\noptimizer: {name: adam}\n" + data + extra + "\n");

        assertThatThrownBy(() -> FitConfigReader.read(config)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(config.toString()).hasMessageContaining(message);
    }

    @Test
    void aRelativeDataPathIsTakenFromTheConfigsFolder() throws IOException {
        Files.createDirectories(dir.resolve("configs"));
        Path config = Files.writeString(dir.resolve("configs/fit.yaml"), "data: {path: ../pairs.jsonl}\nepochs: 1\n"
                + "beta: {name: fixed}\nloss: {name: sigmoid}\noptimizer: {name: adam}\n");

        assertThat(FitConfigReader.read(config).data().path()).isEqualTo(dir.resolve("pairs.jsonl").toString());
    }
}
