package betalab.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code betalab logps} on the PyTorch reference's tiny Llama directory (written by
 * reference/pytorch/llama_reference.py): the summed completion log-probs of its three tokenized
 * records equal PyTorch's, and bad input is one line with nothing written.
 */
class LogpsCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path MODEL = Path.of("../models/src/test/resources/hf/tiny-llama");

    @TempDir
    Path dir;

    @Test
    void tokenizedRecordsGetPyTorchsLogProbs() throws IOException {
        JsonNode expected = JSON.readTree(MODEL.resolve("expected.json").toFile()).get("logps");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ObjectNode r = JSON.createObjectNode();
            r.set("prompt_input_ids", expected.get(i).get("prompt_input_ids"));
            r.set("chosen_input_ids", expected.get(i).get("completion_input_ids"));
            // The rejected completion is another record's, after this prompt: not in the reference.
            r.set("rejected_input_ids", expected.get((i + 1) % 3).get("completion_input_ids"));
            lines.add(JSON.writeValueAsString(r));
        }
        Path in = Files.write(dir.resolve("pairs.jsonl"), lines);
        Path out = dir.resolve("scored.jsonl");
        CliRun r = CliRun.of("logps", "--model", MODEL.toString(), "--in", in.toString(), "--out", out.toString(),
                "--as", "policy", "--batch-size", "2");

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).contains("logps: 3 records written");
        List<String> written = Files.readAllLines(out);
        assertThat(written).hasSize(3);
        for (int i = 0; i < 3; i++) {
            JsonNode row = JSON.readTree(written.get(i));
            double want = expected.get(i).get("float32").get("sum").asDouble();
            assertThat(row.get("policy_chosen_logps").asDouble()).isCloseTo(want,
                    org.assertj.core.api.Assertions.within(1e-4 * Math.abs(want)));
            assertThat(row.get("chosen_length").asInt()).isEqualTo(expected.get(i).get("completion_input_ids").size());
        }
    }

    @Test
    void badInputIsOneLineAndWritesNothing() throws IOException {
        Path in = Files.writeString(dir.resolve("pairs.jsonl"),
                "{\"prompt_input_ids\": [1], \"chosen_input_ids\": [2], \"rejected_input_ids\": [3]}\n"
                        + "{\"prompt_input_ids\": [1], \"chosen_input_ids\": [2], \"rejected_input_ids\": [96]}\n");
        Path out = dir.resolve("scored.jsonl");
        CliRun r = CliRun.of("logps", "--model", MODEL.toString(), "--in", in.toString(), "--out", out.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("betalab logps: error: " + in + ", line 2: ")
                .contains("token id 96").doesNotContain("\n");
        assertThat(out).doesNotExist();

        Files.writeString(in, "{\"prompt\": \"text\", \"chosen\": \"a\", \"rejected\": \"b\"}\n");
        r = CliRun.of("logps", "--model", MODEL.toString(), "--in", in.toString(), "--out", out.toString());
        assertThat(r.err()).contains("line 1: a text record needs the model's tokenizer");
        r = CliRun.of("logps", "--model", dir.resolve("none").toString(), "--in", in.toString(), "--out", out.toString());
        assertThat(r.err()).contains("is not a directory");
        assertThat(out).doesNotExist();
    }
}
