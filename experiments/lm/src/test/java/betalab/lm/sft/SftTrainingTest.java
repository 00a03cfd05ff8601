package betalab.lm.sft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.policy.Policy;
import betalab.api.random.Rng;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import betalab.models.hf.ByteLevelBpeTrainer;
import betalab.models.hf.LlamaConfig;
import betalab.models.transformer.LlamaModel;
import betalab.training.Config;
import betalab.training.ConfigTree;
import betalab.training.RunDirectory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SFT of a tiny transformer on a tiny corpus: the run's files, its model directory, resume, and bad input. */
class SftTrainingTest {
    private static final Registry REGISTRY = Registry.discover();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** Thirty short made-up documents, one a line. */
    static Path corpus(Path dir) throws IOException {
        String[] subjects = {"The council", "Our farmers", "The new school", "A small town", "The river"};
        String[] verbs = {"builds", "remembers", "welcomes", "measures", "repairs"};
        String[] objects = {"the old bridge", "every harvest", "its neighbours", "the long winter", "a quiet road"};
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            StringBuilder doc = new StringBuilder();
            for (int s = 0; s < 4; s++) {
                doc.append(subjects[(i + s) % 5]).append(' ').append(verbs[(i * 3 + s) % 5]).append(' ')
                        .append(objects[(i + 2 * s) % 5]).append(". ");
            }
            lines.add(doc.toString().strip());
        }
        Path file = dir.resolve("corpus.txt");
        Files.write(file, lines, StandardCharsets.UTF_8);
        return file;
    }

    /** A config of seconds: 6 steps of 2 windows of 16 tokens, a one-layer model of width 16, a BPE of 300 tokens. */
    static Map<String, Object> tiny(Path corpus) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("seed", 1);
        c.put("steps", 6);
        c.put("batch_size", 2);
        c.put("context", 16);
        c.put("eval_every", 3);
        c.put("log_every", 1);
        c.put("checkpoint_every", 3);
        c.put("corpus", new LinkedHashMap<>(Map.of("file", corpus.toString(), "validation_every", 10)));
        c.put("tokenizer", new LinkedHashMap<>(Map.of("vocab_size", 300)));
        c.put("policy", new LinkedHashMap<>(Map.of("name", "transformer", "hidden_size", 16, "intermediate_size", 32,
                "num_hidden_layers", 1, "num_attention_heads", 2, "num_key_value_heads", 2,
                "max_position_embeddings", 32)));
        c.put("optimizer", new LinkedHashMap<>(Map.of("name", "adamw", "lr", 0.01)));
        c.put("schedule", new LinkedHashMap<>(Map.of("warmup_steps", 2, "decay", "cosine", "min_lr_ratio", 0.1)));
        return c;
    }

    static Config resolve(Map<String, Object> tree) {
        return SftTraining.resolve(ConfigTree.of(tree, "sft.yaml"), REGISTRY, null);
    }

    private static List<JsonNode> rows(Path run) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve(RunDirectory.METRICS_JSONL))) {
            rows.add(JSON.readTree(line));
        }
        return rows;
    }

    private static int[] tokens(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int[] out = new int[b.remaining() / 4];
        b.asIntBuffer().get(out);
        return out;
    }

    @Test
    void trainsAndWritesTheRunWithAModelDirectoryThatLoadsBack() throws Exception {
        Path run = dir.resolve("run");
        RunDirectory.Summary summary = SftTraining.train(REGISTRY, resolve(tiny(corpus(dir))), run,
                Integer.MAX_VALUE, null);
        assertThat(summary.status()).isEqualTo("completed");

        JsonNode config = JSON.readTree(run.resolve(RunDirectory.CONFIG).toFile());
        JsonNode provenance = JSON.readTree(run.resolve(RunDirectory.PROVENANCE).toFile());
        String sha = provenance.path("corpus").path("sha256").asText();
        assertThat(sha).hasSize(64).isEqualTo(config.path("corpus").path("sha256").asText());
        assertThat(config.path("tokenizer").path("vocab_size").asInt()).isEqualTo(300);
        int eos = config.path("policy").path("eos_token_id").asInt();
        assertThat(eos).isEqualTo(299);
        assertThat(config.path("schedule").path("decay").asText()).isEqualTo("cosine");
        // The record replays: config.json resolves to itself.
        Map<String, Object> recorded = JSON.convertValue(config, Map.class);
        assertThat(JSON.readTree(JSON.writeValueAsString(resolve(recorded).toMap()))).isEqualTo(config);

        List<JsonNode> rows = rows(run);
        assertThat(rows.get(0).path("step").asInt()).isZero();
        assertThat(rows.get(0).path("eval/loss").asDouble()).isCloseTo(Math.log(300), Offset.offset(0.05));
        JsonNode step2 = rows.get(2);
        assertThat(step2.path("step").asInt()).isEqualTo(2);
        // Warm-up of 2: the first update has rate 0, the second half the configured rate.
        assertThat(rows.get(1).path("learning_rate").asDouble()).isEqualTo(0.0);
        assertThat(step2.path("learning_rate").asDouble()).isCloseTo(0.005, Offset.offset(1e-12));
        assertThat(step2.path("num_tokens").asLong()).isEqualTo(2 * 2 * 16);
        assertThat(step2.path("mean_token_accuracy").asDouble()).isBetween(0.0, 1.0);
        JsonNode last = rows.get(rows.size() - 1);
        assertThat(last.path("step").asInt()).isEqualTo(6);
        assertThat(last.path("eval/perplexity").asDouble())
                .isCloseTo(Math.exp(last.path("eval/loss").asDouble()), Offset.offset(1e-9));
        assertThat(last.path("eval/loss").asDouble()).isLessThan(rows.get(0).path("eval/loss").asDouble());

        // The model directory loads through the transformer policy, and its mean next-token loss on
        // the held-out windows, computed by Policy.score (the first token a prompt, the rest a
        // completion), is the run's last eval/loss.
        Path model = run.resolve(SftTraining.MODEL);
        assertThat(model.resolve("config.json")).exists();
        assertThat(model.resolve("model.safetensors")).exists();
        assertThat(model.resolve("tokenizer.json")).exists();
        assertThat(LlamaConfig.readDirectory(model).eosTokenIds()).containsExactly(eos);
        Policy loaded = REGISTRY.create(Policy.POINT, "transformer", Map.of("from", model.toString()),
                new Policy.Context(300, Map.of(), Rng.named("torch", 0), DType.FLOAT32));
        int[] validation = tokens(run.resolve(SftTraining.VALIDATION_TOKENS));
        assertThat(validation[validation.length - 1]).isEqualTo(eos);
        int windows = (validation.length - 1) / 16;
        int[][] prompts = new int[windows][];
        int[][] completions = new int[windows][];
        for (int w = 0; w < windows; w++) {
            prompts[w] = new int[] {validation[w * 16]};
            completions[w] = java.util.Arrays.copyOfRange(validation, w * 16 + 1, w * 16 + 17);
        }
        double sum;
        try (var noGrad = Tensor.noGrad()) {
            sum = loaded.score(Policy.Sequences.aligned(prompts, completions)).sums().sum().item();
        }
        assertThat(-sum / (windows * 16)).isCloseTo(last.path("eval/loss").asDouble(), Offset.offset(1e-5));
        assertThat(loaded.tokenizer().endOfSequence()).isEqualTo(eos);
        assertThat(tokens(run.resolve(SftTraining.TRAIN_TOKENS)).length)
                .isEqualTo(JSON.readTree(run.resolve(RunDirectory.SUMMARY).toFile()).path("train_tokens").asInt());
    }

    @Test
    void aResumedRunEndsWithTheNumbersOfAnUninterruptedOne() throws Exception {
        Config config = resolve(tiny(corpus(dir)));
        Path whole = dir.resolve("whole");
        SftTraining.train(REGISTRY, config, whole, Integer.MAX_VALUE, null);
        Path stopped = dir.resolve("stopped");
        assertThat(SftTraining.train(REGISTRY, config, stopped, 4, null).status()).isEqualTo("interrupted");
        assertThat(stopped.resolve(SftTraining.MODEL)).doesNotExist();
        assertThat(SftTraining.resume(REGISTRY, stopped, null).status()).isEqualTo("completed");
        assertThat(rows(stopped)).isEqualTo(rows(whole));
        assertThat(Files.readAllBytes(stopped.resolve(SftTraining.MODEL).resolve("model.safetensors")))
                .isEqualTo(Files.readAllBytes(whole.resolve(SftTraining.MODEL).resolve("model.safetensors")));
    }

    /** Bad input fails in one line naming the file or field, before the run's directory is made. */
    private static void refused(Map<String, Object> tree, String... parts) {
        assertThatThrownBy(() -> SftTraining.train(REGISTRY, resolve(tree), () -> {
            throw new AssertionError("the run directory was asked for");
        }, Integer.MAX_VALUE, null))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").contains(parts));
    }

    @Test
    @SuppressWarnings("unchecked")
    void anEmptyOrNonUtf8CorpusIsRefusedNamingTheFile() throws Exception {
        Map<String, Object> tree = tiny(corpus(dir));
        Path empty = Files.writeString(dir.resolve("empty.txt"), "\n\n");
        ((Map<String, Object>) tree.get("corpus")).put("file", empty.toString());
        refused(tree, empty.toString(), "is empty");
        Path latin1 = Files.write(dir.resolve("latin1.txt"), "caf\u00e9\nna\u00efve\n".getBytes(StandardCharsets.ISO_8859_1));
        ((Map<String, Object>) tree.get("corpus")).put("file", latin1.toString());
        refused(tree, latin1.toString(), "line 1", "not UTF-8");
    }

    @Test
    void aTokenizerWhoseVocabularyDoesNotMatchIsRefused() throws Exception {
        Path corpus = corpus(dir);
        Path tokenizerFile = dir.resolve("tokenizer.json");
        ByteLevelBpeTrainer.train(Files.readAllLines(corpus), 280, List.of("<|endoftext|>"))
                .writeTokenizerJson(tokenizerFile);
        Map<String, Object> tree = tiny(corpus);
        tree.put("tokenizer", new LinkedHashMap<>(Map.of("file", tokenizerFile.toString(), "vocab_size", 300)));
        refused(tree, "sft.yaml", "tokenizer.vocab_size", "is 300", tokenizerFile.toString(), "280 tokens");

        // A model to start from whose vocabulary is smaller than the tokenizer's.
        LlamaConfig small = new LlamaConfig(260, 16, 32, 1, 2, 2, 32, 1e-6, 10000, false, 0.02, null, List.of(), null,
                "float32");
        Path pretrained = dir.resolve("pretrained");
        new LlamaModel(small, Rng.named("torch", 0), DType.FLOAT32).checkpoint().write(pretrained);
        tree.put("tokenizer", new LinkedHashMap<>(Map.of("file", tokenizerFile.toString())));
        tree.put("policy", new LinkedHashMap<>(Map.of("name", "transformer", "from", pretrained.toString())));
        refused(tree, "policy.from", "vocab_size 260", "280 tokens", tokenizerFile.toString());
    }

    @Test
    void aContextLongerThanThePolicysPositionsIsRefused() throws Exception {
        Map<String, Object> tree = tiny(corpus(dir));
        tree.put("context", 48);
        refused(tree, "sft.yaml", "context", "is 48", "max_position_embeddings 32");
    }

    @Test
    void aPolicyOtherThanTheTransformerIsRefused() throws Exception {
        Map<String, Object> tree = tiny(corpus(dir));
        tree.put("policy", new LinkedHashMap<>(Map.of("name", "log_linear")));
        refused(tree, "policy.name", "transformer");
    }
}
