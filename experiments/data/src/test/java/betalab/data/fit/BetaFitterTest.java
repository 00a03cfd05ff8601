package betalab.data.fit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.registry.Registry;
import betalab.training.Config;
import betalab.training.DirectoryLock;
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
        ((ObjectNode) expected.get("data")).put("sha256", betalab.training.Provenance.sha256(Path.of(expected.at("/data/path").asText())));
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

    /**
     * One batch of three pairs with weights 0, 1, 3 under a fixed β = 0.25 (h = 1, −1, 1.5): the step's
     * loss is (0·ℓ₁ + ℓ₂ + 3ℓ₃)/4 with ℓ = log(1 + e^(−βh)), worked out by hand.
     */
    @Test
    void aWeightColumnGivesTheWeightedMeanOfTheBatch() throws IOException {
        Path data = pairs(pair("p1", "-1", ", \"weight\": 0"), pair("p2", "-3", ", \"weight\": 1"),
                pair("p3", "-0.5", ", \"weight\": 3"));
        Path config = config(data, "fixed, beta: 0.25", "sigmoid",
                "validation_fraction: 0\nbatch_size: 3\nshuffle_buffer: 0\nlog_every: 1\n");

        RunDirectory.Summary summary = fit(config, dir.resolve("run"));

        double expected = (Math.log1p(Math.exp(0.25)) + 3 * Math.log1p(Math.exp(-0.375))) / 4;
        assertThat((double) summary.last().get("loss")).isCloseTo(expected, within(1e-6));
    }

    /**
     * Weights of 1 on every line are the unweighted fit, to the last bit, training and evaluation
     * alike; with a β penalty, which the weighted step must add as the objective does.
     */
    @Test
    void weightsOfOneReproduceTheUnweightedFitExactly() throws IOException {
        String[] logps = {"-1", "-3", "-0.5", "-2.5", "-1", "-4"};
        String[] plain = new String[logps.length];
        String[] ones = new String[logps.length];
        for (int i = 0; i < logps.length; i++) {
            plain[i] = pair("p" + (i + 1), logps[i], "");
            ones[i] = pair("p" + (i + 1), logps[i], ", \"weight\": 1");
        }
        String extra = "batch_size: 2\nshuffle_buffer: 3\nlog_every: 1\nvalidation_fraction: 0.3\n";
        String beta = "learnable_scalar, beta_penalty: 0.5, beta_target: 0.3";
        fit(config(pairs(plain), beta, "sigmoid", extra), dir.resolve("plain"));
        fit(config(pairs(ones), beta, "sigmoid", extra), dir.resolve("ones"));

        assertThat(rows(dir.resolve("ones"))).isEqualTo(rows(dir.resolve("plain")));
        assertThat(rows(dir.resolve("ones")).get(rows(dir.resolve("ones")).size() - 1).has("eval/loss")).isTrue();
    }

    @Test
    void badWeightsAndWeightsWithABatchCoupledLossAreRefused() throws IOException {
        Path negative = pairs(pair("p1", "-1", ", \"weight\": 1"), pair("p2", "-3", ", \"weight\": -2"));
        assertThatThrownBy(() -> fit(config(negative, ""), dir.resolve("run")))
                .hasMessage(negative + ", line 2: field 'weight' must be ≥ 0, got -2");
        Path missing = pairs(pair("p1", "-1", ", \"weight\": 1"), pair("p2", "-3", ""));
        assertThatThrownBy(() -> fit(config(missing, ""), dir.resolve("run"))).hasMessage(missing
                + ", line 2: field 'weight' is missing, though line 1 gives it; give it on every line or on none");
        Path weighted = pairs(pair("p1", "-1", ", \"weight\": 1"), pair("p2", "-3", ", \"weight\": 2"));
        assertThatThrownBy(() -> fit(config(weighted, "fixed, beta: 0.25", "aot", "validation_fraction: 0\n"),
                dir.resolve("run"))).hasMessageContaining(weighted + ": field 'weight' weighs pairs, but the loss is "
                + "batch-coupled");
        Path zeros = pairs(pair("p1", "-1", ", \"weight\": 0"), pair("p2", "-3", ", \"weight\": 0"));
        assertThatThrownBy(() -> fit(config(zeros, "validation_fraction: 0\n"), dir.resolve("run")))
                .hasMessageContaining(zeros + ": every training pair has weight 0");
        assertThat(dir.resolve("run")).doesNotExist();
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
    /** {@code n} pairs with two prompt features "x" each, and a config fitting softplus_mlp on them over three epochs. */
    private Path featureFit(int n, String extra) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            lines.add(pair("p" + i, String.valueOf(-0.5 - i % 5), ", \"x\": [" + (i % 3 - 1) + ", " + 0.1 * i + "]"));
        }
        Path data = pairs(lines.toArray(String[]::new));
        return Files.writeString(dir.resolve("fit.yaml"), "data: {path: " + data + ", features: x}\nepochs: 3\n"
                + "batch_size: 2\nshuffle_buffer: 4\nlog_every: 2\nvalidation_fraction: 0.25\n"
                + "beta: {name: softplus_mlp, hidden: [3]}\nloss: {name: sigmoid}\noptimizer: {name: adam, lr: 0.05}\n"
                + extra);
    }

    /**
     * A fit stopped anywhere resumes from the end of its last completed epoch (a checkpoint holds β,
     * the optimizer and the shuffling generator) to the numbers of a fit never stopped; one stopped
     * before its first epoch ended starts over.
     */
    @Test
    void aStoppedFitResumesFromItsLastCompletedEpochToTheSameNumbers() throws IOException {
        Config config = BetaFitter.read(featureFit(14, ""), REGISTRY);
        Path whole = dir.resolve("whole");
        RunDirectory.Summary uninterrupted = BetaFitter.fit(REGISTRY, config, whole, row -> { });
        int stepsPerEpoch = uninterrupted.steps() / 3;
        assertThat(stepsPerEpoch).isGreaterThan(2);

        // log_every 2: stops after an even step leave no metrics waiting for their row
        for (int stop : new int[] {1, stepsPerEpoch, stepsPerEpoch + 1, stepsPerEpoch + 2, 2 * stepsPerEpoch + 1}) {
            Path run = dir.resolve("stopped-" + stop);
            assertThat(BetaFitter.fit(REGISTRY, config, run, stop, row -> { }).status()).isEqualTo("interrupted");
            if (stop < stepsPerEpoch) {
                assertThat(run.resolve(RunDirectory.CHECKPOINT)).doesNotExist();
            } else {
                assertThat(JSON.readTree(run.resolve(RunDirectory.CHECKPOINT).toFile()).get("step").asInt())
                        .isEqualTo(stop / stepsPerEpoch * stepsPerEpoch);
            }
            assertThat(run.resolve(RunDirectory.FITTED_BETA)).doesNotExist();

            RunDirectory.Summary resumed = BetaFitter.resume(REGISTRY, run, row -> { });

            assertThat(resumed.status()).isEqualTo("completed");
            assertThat(rows(run)).as("stopped after step " + stop).isEqualTo(rows(whole));
            assertThat(JSON.readTree(run.resolve(RunDirectory.FITTED_BETA).toFile()))
                    .isEqualTo(JSON.readTree(whole.resolve(RunDirectory.FITTED_BETA).toFile()));
            assertThat(JSON.readTree(run.resolve(RunDirectory.SUMMARY).toFile()).get("best_eval"))
                    .isEqualTo(JSON.readTree(whole.resolve(RunDirectory.SUMMARY).toFile()).get("best_eval"));
        }
    }

    @Test
    void aFitResumesOnlyOnTheDataItStartedWith() throws IOException {
        Path config = featureFit(14, "");
        Path run = dir.resolve("run");
        BetaFitter.fit(REGISTRY, BetaFitter.read(config, REGISTRY), run, 9, row -> { });
        Path data = Path.of(BetaFitter.read(config, REGISTRY).section("data").get(BetaFitter.PATH));
        Files.writeString(data, pair("p99", "-1", ", \"x\": [0, 0]") + "\n", java.nio.file.StandardOpenOption.APPEND);

        assertThatThrownBy(() -> BetaFitter.resume(REGISTRY, run, row -> { }))
                .hasMessageContaining("field 'data.sha256' is ").hasMessageContaining("the file changed");
        assertThat(JSON.readTree(run.resolve(RunDirectory.SUMMARY).toFile()).get("status").asText())
                .isEqualTo("interrupted");
    }

    /**
     * A fit locks its directory while it runs and releases it at the end; a second fit or resume in a
     * directory another process holds fails at once, naming the owner, and changes nothing there.
     */
    @Test
    void aFitHoldsItsDirectoryForItsLifeAndAnotherFailsNamingTheOwner() throws IOException {
        Config config = BetaFitter.read(featureFit(14, ""), REGISTRY);
        Path run = dir.resolve("run");
        String owner = "pid " + ProcessHandle.current().pid();
        List<Integer> heard = new ArrayList<>();

        BetaFitter.fit(REGISTRY, config, run, 5, row -> {
            assertThatThrownBy(() -> DirectoryLock.acquire(run)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(run + " is in use by another betalab process").hasMessageContaining(owner);
            heard.add((Integer) row.get("step"));
        });
        assertThat(heard).isNotEmpty();

        byte[] summary = Files.readAllBytes(run.resolve(RunDirectory.SUMMARY));
        try (DirectoryLock other = DirectoryLock.acquire(run)) {
            assertThatThrownBy(() -> BetaFitter.resume(REGISTRY, run, row -> { })).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(run + " is in use by another betalab process (" + owner);
        }
        assertThat(Files.readAllBytes(run.resolve(RunDirectory.SUMMARY))).isEqualTo(summary);

        Path fresh = dir.resolve("fresh");
        try (DirectoryLock other = DirectoryLock.acquire(fresh)) {
            assertThatThrownBy(() -> BetaFitter.fit(REGISTRY, config, fresh, row -> { }))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining(owner);
        }
        assertThat(fresh.resolve(RunDirectory.CONFIG)).doesNotExist();
    }

    /**
     * A feature beyond float32's range would be infinite in β's float32 network, and a log-probability
     * beyond it sends an infinite gradient into β's float32 parameters: each is refused on reading,
     * naming the file, line and field, where before the fit failed steps later on a non-finite value.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "-1|[1, 1e39]|line 2: field 'x[1]' must be finite in float32 (at most 3.4028235E38 in size), got 1e39",
        "-1e308|[1, 2]|line 2: field 'policy_chosen_logps' must be finite in float32 (at most 3.4028235E38 in size), got -1e308"})
    void numbersFiniteOnlyInDoubleFailBeforeAnythingIsWritten(String logp, String features, String message)
            throws IOException {
        Path data = pairs(pair("p1", "-1", ", \"x\": [1, 2]"), pair("p2", logp, ", \"x\": " + features),
                pair("p3", "-2", ", \"x\": [0, 1]"));
        Path config = Files.writeString(dir.resolve("fit.yaml"), "data: {path: " + data + ", features: x}\n"
                + "epochs: 2\nvalidation_fraction: 0\nbeta: {name: softplus_mlp}\nloss: {name: sigmoid}\n"
                + "optimizer: {name: adam}\n");

        assertThatThrownBy(() -> fit(config, dir.resolve("run"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(data + ", " + message);
        assertThat(dir.resolve("run")).doesNotExist();
    }

    /** An I/O error says why, not only which path. */
    @Test
    void aDataFileThatCannotBeReadSaysWhy() throws IOException {
        Path notADirectory = pairs(pair("p1", "-1", ""));
        Path data = notADirectory.resolve("pairs.jsonl");

        assertThatThrownBy(() -> fit(config(data, ""), dir.resolve("run")))
                .hasMessage("cannot read " + data + ": Not a directory");
        assertThat(dir.resolve("run")).doesNotExist();
    }
}
