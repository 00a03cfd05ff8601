package betalab.lm.task;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.training.ConfigTree;
import betalab.training.PreferenceTraining;
import betalab.training.RunDirectory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Both LM tasks trained by name through betalab train's loop, on a tiny model loaded from its directory. */
class LmTrainingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static final Path SAMPLE = Path.of("../../examples/data/sample-trl.jsonl");

    static Path corpus;
    /** Its tokenizer knows the corpus's words as tokens, so even random weights write words. */
    static Path model;

    @BeforeAll
    static void fixtures() throws IOException {
        corpus = LmFixture.corpus(dir, 160);
        model = LmFixture.model(dir, Files.readAllLines(corpus), 400, 64, 1);
    }

    static Map<String, Object> config(Map<String, Object> task, Map<String, Object> beta, int steps) {
        return config(task, beta, steps, model);
    }

    static Map<String, Object> config(Map<String, Object> task, Map<String, Object> beta, int steps, Path model) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("seed", 4);
        c.put("steps", steps);
        c.put("batch_size", 32);
        c.put("eval_every", 10);
        c.put("task", task);
        c.put("policy", Map.of("name", "transformer", "from", model.toString()));
        c.put("loss", Map.of("name", "sigmoid"));
        c.put("beta", beta);
        c.put("optimizer", Map.of("name", "adamw", "lr", 0.02, "weight_decay", 0.0));
        return c;
    }

    /** The length reward with a target of max_tokens: random weights write 2 to 8 words, and more is better. */
    static Map<String, Object> lengthTask(int prompts) {
        return Map.of("name", "lm_reward", "corpus", corpus.toString(), "validation_every", 2, "prompt_words", 4,
                "prompts", prompts, "eval_prompts", 32, "max_tokens", 10, "reward", "length", "target_words", 10);
    }

    static RunDirectory.Summary train(Map<String, Object> config, Path run, int stopAfter) {
        return PreferenceTraining.train(LmFixture.REGISTRY,
                PreferenceTraining.resolve(ConfigTree.of(config, null), LmFixture.REGISTRY), run, stopAfter, r -> { });
    }

    /**
     * DPO and LearnableBetaDPO (β(x; πθ) from 0.1) on the reward task through the one loop: both start
     * from the reference's own numbers (equal completions, KL 0, win rate one half), fit their
     * training pairs, move measurably away from the reference, and the learned β varies by prompt.
     * (Whether the true reward of held-out samples rises is a question for a model that writes
     * language: these random weights, without biases, only memorise their pairs.)
     */
    @Test
    void dpoAndLearnableBetaTrainTheLanguageModelOnItsOwnLabelledSamples() throws IOException {
        for (Map<String, Object> beta : List.of(Map.<String, Object>of("name", "fixed", "beta", 0.1),
                Map.<String, Object>of("name", "policy_mlp", "hidden", List.of(4), "init_beta", 0.1))) {
            Path run = dir.resolve(beta.get("name").toString());
            Map<String, Object> c = config(lengthTask(128), beta, 24);
            c.put("eval_every", 12);
            assertThat(train(c, run, Integer.MAX_VALUE).status()).isEqualTo("completed");
            List<JsonNode> evaluations = evaluations(run);
            assertThat(evaluations).hasSize(3);
            JsonNode first = evaluations.get(0);
            JsonNode last = evaluations.get(2);
            assertThat(first.get("eval/true_reward").asDouble()).isEqualTo(first.get("eval/true_reward_ref").asDouble());
            assertThat(first.get("eval/win_rate_vs_ref").asDouble()).isEqualTo(0.5);
            assertThat(first.get("eval/kl_ref").asDouble()).isZero();
            assertThat(last.get("eval/kl_ref").asDouble()).isGreaterThan(3 * last.get("eval/kl_ref_stderr").asDouble());
            assertThat(last.get("eval/true_reward_ref").asDouble()).isEqualTo(first.get("eval/true_reward_ref").asDouble());
            assertThat(last.get("rewards/accuracies").asDouble()).isGreaterThan(0.8);
            if (beta.get("name").equals("policy_mlp")) {
                assertThat(last.get("beta/std").asDouble()).isPositive();
            }
            // Each evaluation's sampled completions, as text with their rewards, for people to read.
            assertThat(run.resolve(PreferenceTraining.SAMPLES).toFile().list())
                    .containsExactlyInAnyOrder("step-000000.json", "step-000012.json", "step-000024.json");
            JsonNode shown = betalab.training.RunFiles.JSON.readTree(run.resolve(PreferenceTraining.SAMPLES).resolve("step-000024.json")
                    .toFile());
            assertThat(shown.size()).isPositive();
            assertThat(shown.get(0).has("prompt")).isTrue();
        }
    }

    /** ppl_scaled reads the LM's perplexity of each prompt and its hidden state: β differs by prompt from step 1. */
    @Test
    void pplScaledBetaReadsTheLanguageModelsPromptPerplexity() {
        Path run = dir.resolve("ppl_scaled");
        Map<String, Object> c = config(lengthTask(64), Map.of("name", "ppl_scaled", "beta0", 0.1), 2);
        c.put("log_every", 1);
        assertThat(train(c, run, Integer.MAX_VALUE).status()).isEqualTo("completed");
        JsonNode first = rows(run).get(1);
        assertThat(first.get("beta/std").asDouble()).isPositive();
        assertThat(first.get("beta/min").asDouble()).isPositive();
    }

    @Test
    void aResumedRunEvaluatesAsAnUninterruptedOne() {
        Map<String, Object> task = new LinkedHashMap<>(lengthTask(64));
        task.put("label_noise", 0.2);
        Map<String, Object> c = config(task, Map.of("name", "fixed", "beta", 0.1), 20);
        c.put("batch_size", 16);
        train(c, dir.resolve("straight"), Integer.MAX_VALUE);
        assertThat(train(c, dir.resolve("resumed"), 13).status()).isEqualTo("interrupted");
        PreferenceTraining.resume(LmFixture.REGISTRY, dir.resolve("resumed"), r -> { });
        assertThat(rows(dir.resolve("resumed"))).isEqualTo(rows(dir.resolve("straight")));
    }

    @Test
    void theShippedTrlSampleTrainsTheModel() throws IOException {
        List<String> texts = new ArrayList<>();
        for (String line : Files.readAllLines(SAMPLE)) {
            JsonNode record = JSON.readTree(line);
            texts.addAll(List.of(record.get("prompt").asText(), record.get("chosen").asText(),
                    record.get("rejected").asText()));
        }
        Path sampleModel = LmFixture.model(dir, texts, 600, 128, 2);
        Map<String, Object> task = Map.of("name", "trl_data", "path", SAMPLE.toString());
        Map<String, Object> c = config(task, Map.of("name", "fixed", "beta", 0.1), 6, sampleModel);
        c.put("batch_size", 8);
        c.put("eval_every", 3);
        Path run = dir.resolve("trl");
        assertThat(train(c, run, Integer.MAX_VALUE).status()).isEqualTo("completed");
        List<JsonNode> evaluations = evaluations(run);
        assertThat(evaluations).hasSize(3);
        assertThat(evaluations.get(0).get("eval/logratio/margins").asDouble()).isZero();
        assertThat(evaluations.get(2).get("eval/logratio/margins").asDouble()).isPositive();
    }

    private static List<JsonNode> evaluations(Path run) {
        return rows(run).stream().filter(r -> r.has("eval/true_reward") || r.has("eval/rewards/accuracies")).toList();
    }

    private static List<JsonNode> rows(Path run) {
        List<JsonNode> rows = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(run.resolve(RunDirectory.METRICS_JSONL))) {
                rows.add(JSON.readTree(line));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return rows;
    }
}
