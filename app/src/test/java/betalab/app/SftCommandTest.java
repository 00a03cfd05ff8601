package betalab.app;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.api.registry.Registry;
import betalab.lm.sft.SftTraining;
import betalab.training.Config;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftCommandTest {
    @TempDir
    Path dir;

    /** A corpus of 20 made-up documents and a config of seconds on it, the corpus named relative to the config. */
    private Path config(String extra) throws Exception {
        List<String> lines = new ArrayList<>();
        String[] words = {"the", "council", "builds", "a", "bridge", "over", "river", "and", "town", "welcomes", "it"};
        for (int i = 0; i < 20; i++) {
            StringBuilder doc = new StringBuilder();
            for (int w = 0; w < 40; w++) {
                doc.append(words[(i * 7 + w * w) % words.length]).append(w % 9 == 8 ? ". " : " ");
            }
            lines.add(doc.toString().strip());
        }
        Files.write(dir.resolve("corpus.txt"), lines, StandardCharsets.UTF_8);
        return Files.writeString(dir.resolve("tiny.yaml"), """
                steps: 4
                batch_size: 2
                context: 16
                eval_every: 2
                log_every: 1
                corpus: {file: corpus.txt}
                tokenizer: {vocab_size: 280}
                policy: {name: transformer, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1,
                         num_attention_heads: 2, num_key_value_heads: 2, max_position_embeddings: 32}
                optimizer: {name: adamw, lr: 0.01}
                """ + extra);
    }

    @Test
    void trainsWithAProgressBarAndWritesTheRunAndItsModel() throws Exception {
        Path run = dir.resolve("run");
        CliRun r = CliRun.of("sft", "--config", config("").toString(), "--out", run.toString());

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("step      0  eval/loss", "step      4  loss", "tokens/s", "ETA",
                "completed after 4 steps: " + run, "eval/perplexity", "num_tokens");
        for (String file : new String[] {"config.json", "provenance.json", "metrics.csv", "metrics.jsonl",
                "summary.json", "checkpoint.json", "train.tokens", "validation.tokens", "model/config.json",
                "model/model.safetensors", "model/tokenizer.json"}) {
            assertThat(run.resolve(file)).isNotEmptyFile();
        }
        JsonNode config = new ObjectMapper().readTree(run.resolve("config.json").toFile());
        assertThat(config.at("/corpus/file").asText()).isEqualTo(dir.resolve("corpus.txt").toAbsolutePath().toString());

        // A completed run resumes to itself.
        CliRun again = CliRun.of("sft", "--resume", run.toString());
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(again.out()).contains("completed after 4 steps: " + run);
    }

    /** The shipped configs resolve, their corpus named relative to them (running them takes minutes). */
    @Test
    void theShippedConfigsResolve() {
        Path corpus = Path.of("..", "examples", "data", "sotu", "state-of-the-union-1961-2021.txt").toAbsolutePath()
                .normalize();
        for (String name : new String[] {"sft.yaml", "sft-tiny.yaml"}) {
            Config config = SftTraining.read(Path.of("..", "examples", name), Registry.discover());
            assertThat(config.section("corpus").get(SftTraining.CORPUS_FILE)).as(name).isEqualTo(corpus.toString());
            assertThat(config.get(SftTraining.STEPS)).as(name).isPositive();
        }
    }

    @Test
    void aContextLongerThanThePositionsIsOneLineAndWritesNothing() throws Exception {
        Path config = config("");
        Files.writeString(config, Files.readString(config).replace("context: 16\n", "context: 48\n"));
        Path run = dir.resolve("run");

        CliRun r = CliRun.of("sft", "--config", config.toString(), "--out", run.toString());

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("betalab sft: error: " + config + ":3: field 'context' is 48, longer "
                + "than the policy's max_position_embeddings 32");
        assertThat(run).doesNotExist();
    }
}
