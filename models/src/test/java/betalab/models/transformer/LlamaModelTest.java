package betalab.models.transformer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.policy.Policy;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import betalab.models.hf.LlamaCheckpoint;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The model against the PyTorch reference (reference/pytorch/llama_reference.py, which computes as
 * transformers' modeling_llama does) on its tiny checkpoints: logits of a single sequence, a
 * right-padded batch and a left-padded one (whose real tokens must match the same sequences run
 * unpadded), TRL's completion log-probs, and every parameter's gradient of minus their mean; within
 * 1e-9 relative in float64 and 1e-4 in float32.
 */
class LlamaModelTest {

    private static Path fixture(String name) throws URISyntaxException {
        return Path.of(LlamaModelTest.class.getResource("/hf/" + name + "/config.json").toURI()).getParent();
    }

    private static JsonNode expected(String name) throws IOException, URISyntaxException {
        return new ObjectMapper().readTree(fixture(name).resolve("expected.json").toFile());
    }

    private static double tolerance(DType dtype) {
        return dtype == DType.FLOAT64 ? 1e-9 : 1e-4;
    }

    private static String key(DType dtype) {
        return dtype == DType.FLOAT64 ? "float64" : "float32";
    }

    private static void assertClose(double actual, double expected, DType dtype, String what) {
        assertThat(Math.abs(actual - expected)).as(what + ": %s against %s", actual, expected)
                .isLessThanOrEqualTo(tolerance(dtype) * Math.max(1, Math.abs(expected)));
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({"tiny-llama, FLOAT32", "tiny-llama, FLOAT64", "tiny-llama-tied, FLOAT32", "tiny-llama-tied, FLOAT64"})
    void logitsOfEveryRealPositionMatchPyTorch(String name, DType dtype) throws Exception {
        LlamaModel model = new LlamaModel(LlamaCheckpoint.read(fixture(name), dtype));
        int v = model.config().vocabSize();
        for (JsonNode c : expected(name).get("forward")) {
            List<int[]> sequences = new ArrayList<>();
            for (int i = 0; i < c.get("input_ids").size(); i++) {
                int[] ids = ints(c.get("input_ids").get(i));
                int[] mask = ints(c.get("attention_mask").get(i));
                // Left padding with generation's position ids is the same computation as no padding.
                sequences.add(java.util.stream.IntStream.range(0, ids.length).filter(j -> mask[j] == 1)
                        .map(j -> ids[j]).toArray());
            }
            LlamaModel.Output out = model.forward(sequences.toArray(int[][]::new));
            double[] logits = out.logits().toDoubleArray();
            JsonNode want = c.get(key(dtype)).get("logits");
            for (int i = 0; i < sequences.size(); i++) {
                for (int p = 0; p < sequences.get(i).length; p++) {
                    for (int k = 0; k < v; k++) {
                        assertClose(logits[(i * out.length() + p) * v + k], want.get(i).get(p).get(k).asDouble(),
                                dtype, c.get("name").asText() + " sequence " + i + " position " + p + " logit " + k);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"tiny-llama, FLOAT32", "tiny-llama, FLOAT64", "tiny-llama-tied, FLOAT32", "tiny-llama-tied, FLOAT64"})
    void completionLogpsAndEveryGradientMatchPyTorch(String name, DType dtype) throws Exception {
        LlamaModel model = new LlamaModel(LlamaCheckpoint.read(fixture(name), dtype));
        JsonNode records = expected(name).get("logps");
        int n = records.size();
        int[][] prompts = new int[n][];
        int[][] completions = new int[n][];
        for (int i = 0; i < n; i++) {
            prompts[i] = ints(records.get(i).get("prompt_input_ids"));
            completions[i] = ints(records.get(i).get("completion_input_ids"));
        }
        TransformerPolicy policy = new TransformerPolicy(model);
        Policy.Scores scores = policy.score(Policy.Sequences.aligned(prompts, completions));
        double[] sums = scores.sums().toDoubleArray();
        double[] tokens = scores.tokenLogps().toDoubleArray();
        int width = scores.tokenLogps().dim(1);
        for (int i = 0; i < n; i++) {
            JsonNode want = records.get(i).get(key(dtype));
            assertClose(sums[i], want.get("sum").asDouble(), dtype, "sum of record " + i);
            for (int t = 0; t < completions[i].length; t++) {
                assertClose(tokens[i * width + t], want.get("per_token").get(t).asDouble(), dtype,
                        "record " + i + " token " + t);
            }
        }
        assertThat(scores.vocabularyLogps().shape()).containsExactly(n, width, model.config().vocabSize());
        assertThat(scores.representation().shape()).containsExactly(n, model.config().hiddenSize());

        scores.sums().mean().neg().backward();
        JsonNode grads = expected(name).get("gradients").get(key(dtype)).get("grads");
        Map<String, Tensor> parameters = model.namedParameters();
        assertThat(parameters.keySet()).containsExactlyInAnyOrderElementsOf(() -> grads.fieldNames());
        parameters.forEach((parameter, p) -> {
            double[] g = p.grad().toDoubleArray();
            JsonNode want = grads.get(parameter);
            double scale = 0;
            for (JsonNode w : want) {
                scale = Math.max(scale, Math.abs(w.asDouble()));
            }
            for (int k = 0; k < g.length; k++) {
                // Relative to the tensor's largest gradient: single elements may be near 0.
                assertThat(Math.abs(g[k] - want.get(k).asDouble())).as("%s[%d]", parameter, k)
                        .isLessThanOrEqualTo(tolerance(dtype) * Math.max(1e-3, scale));
            }
        });
    }

    @ParameterizedTest
    @CsvSource({"tiny-llama"})
    void aTokenOutsideTheVocabularyOrContextIsNamed(String name) throws Exception {
        LlamaModel model = new LlamaModel(LlamaCheckpoint.read(fixture(name), DType.FLOAT32));
        assertThatThrownBy(() -> model.forward(new int[][] {{1, 2}, {3, 96}}))
                .hasMessageContaining("token id 96 of sequence 1 is outside the vocabulary [0, 96)");
        assertThatThrownBy(() -> model.forward(new int[][] {new int[65]}))
                .hasMessageContaining("longer than max_position_embeddings 64");
    }

    /** A model saved as a Hugging Face directory reads back with the same logits; a new model starts as transformers'. */
    @org.junit.jupiter.api.Test
    void savedAndReadBackItGivesTheSameLogits(@org.junit.jupiter.api.io.TempDir Path dir) {
        betalab.models.hf.LlamaConfig config = betalab.models.hf.LlamaConfig.of(50, 16, 24, 2, 4, 2);
        LlamaModel model = new LlamaModel(config, new betalab.api.random.TorchRng(3), DType.FLOAT32);
        double[] embed = model.namedParameters().get(LlamaCheckpoint.EMBED_TOKENS).toDoubleArray();
        double sumSquares = 0;
        for (double e : embed) {
            sumSquares += e * e;
        }
        assertThat(Math.sqrt(sumSquares / embed.length)).isBetween(0.018, 0.022);
        assertThat(model.namedParameters().get(LlamaCheckpoint.NORM).toDoubleArray()).containsOnly(1.0);

        model.checkpoint().write(dir);
        LlamaModel back = new LlamaModel(LlamaCheckpoint.read(dir, DType.FLOAT32));
        int[][] sequences = {{1, 7, 9, 49}, {3, 4}};
        assertThat(back.forward(sequences).logits().toDoubleArray())
                .containsExactly(model.forward(sequences).logits().toDoubleArray());
    }

    /**
     * A directory betalab wrote, read by the PyTorch reference (torch-logps.jsonl) and by betalab:
     * the same log-probs; and writing the same model again gives the same bytes.
     */
    @org.junit.jupiter.api.Test
    void aDirectoryBetalabWroteScoresInPyTorchAsInBetalab(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path written = fixture("betalab-written");
        betalab.models.hf.LlamaConfig config = betalab.models.hf.LlamaConfig.readDirectory(written);
        new LlamaModel(config, new betalab.api.random.TorchRng(7), DType.FLOAT32).checkpoint().write(dir);
        assertThat(java.nio.file.Files.readAllBytes(dir.resolve("model.safetensors")))
                .isEqualTo(java.nio.file.Files.readAllBytes(written.resolve("model.safetensors")));

        TransformerPolicy policy = new TransformerPolicy(new LlamaModel(LlamaCheckpoint.read(written, DType.FLOAT32)));
        ObjectMapper json = new ObjectMapper();
        List<String> pairs = java.nio.file.Files.readAllLines(written.resolve("pairs.jsonl"));
        List<String> torch = java.nio.file.Files.readAllLines(written.resolve("torch-logps.jsonl"));
        for (int i = 0; i < pairs.size(); i++) {
            JsonNode r = json.readTree(pairs.get(i));
            JsonNode want = json.readTree(torch.get(i));
            for (String side : List.of("chosen", "rejected")) {
                double got = policy.score(Policy.Sequences.aligned(new int[][] {ints(r.get("prompt_input_ids"))},
                        new int[][] {ints(r.get(side + "_input_ids"))})).sums().item();
                assertClose(got, want.get(side + "_logps").asDouble(), DType.FLOAT32, "record " + i + " " + side);
            }
        }
    }
}
