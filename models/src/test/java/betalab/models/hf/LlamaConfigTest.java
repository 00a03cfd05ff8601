package betalab.models.hf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LlamaConfigTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-llama-tied"})
    void readsTheConfigPyTorchWrote(String model) {
        JsonNode expected = HfFixtures.json(model + "/expected.json").get("config");
        LlamaConfig c = LlamaConfig.readDirectory(HfFixtures.path(model));
        assertThat(c.vocabSize()).isEqualTo(expected.get("vocab_size").asInt());
        assertThat(c.hiddenSize()).isEqualTo(32);
        assertThat(c.intermediateSize()).isEqualTo(64);
        assertThat(c.numHiddenLayers()).isEqualTo(2);
        assertThat(c.numAttentionHeads()).isEqualTo(4);
        assertThat(c.numKeyValueHeads()).isEqualTo(2);
        assertThat(c.headDim()).isEqualTo(8);
        assertThat(c.maxPositionEmbeddings()).isEqualTo(64);
        assertThat(c.rmsNormEps()).isEqualTo(expected.get("rms_norm_eps").asDouble());
        assertThat(c.ropeTheta()).isEqualTo(expected.get("rope_theta").asDouble());
        assertThat(c.tieWordEmbeddings()).isEqualTo(model.endsWith("tied"));
        assertThat(c.initializerRange()).isEqualTo(0.2);
        assertThat(c.bosTokenId()).isEqualTo(1);
        assertThat(c.eosTokenIds()).containsExactly(2);
        assertThat(c.padTokenId()).isNull();
        assertThat(c.torchDtype()).isEqualTo("float32");
    }

    @Test
    void writesWhatTransformersWritesAndReadsItBack() throws IOException {
        LlamaConfig c = LlamaConfig.of(300, 64, 176, 3, 8, 2).withTieWordEmbeddings(true).withRope(500000)
                .withRmsNormEps(1e-5).withMaxPositionEmbeddings(128).withTokens(null, List.of(298, 299), 297);
        c.writeDirectory(dir.resolve("model"));
        JsonNode json = HfFixtures.JSON.readTree(dir.resolve("model/config.json").toFile());
        assertThat(json.get("architectures").toString()).isEqualTo("[\"LlamaForCausalLM\"]");
        assertThat(json.get("model_type").asText()).isEqualTo("llama");
        assertThat(json.get("hidden_act").asText()).isEqualTo("silu");
        assertThat(json.get("torch_dtype").asText()).isEqualTo("float32");
        assertThat(json.get("eos_token_id").toString()).isEqualTo("[298,299]");
        assertThat(json.get("bos_token_id").isNull()).isTrue();
        assertThat(json.get("rope_theta").isFloatingPointNumber()).isTrue();
        assertThat(json.get("tie_word_embeddings").asBoolean()).isTrue();
        assertThat(LlamaConfig.readDirectory(dir.resolve("model"))).isEqualTo(c);
        try (var files = Files.list(dir.resolve("model"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("config.json");
        }
    }

    @Test
    void defaultsAreTransformers() throws IOException {
        LlamaConfig c = read("{\"model_type\":\"llama\",\"vocab_size\":100,\"hidden_size\":16,\"intermediate_size\":40,"
                + "\"num_hidden_layers\":1,\"num_attention_heads\":4}");
        assertThat(c.numKeyValueHeads()).isEqualTo(4);
        assertThat(c.maxPositionEmbeddings()).isEqualTo(2048);
        assertThat(c.rmsNormEps()).isEqualTo(1e-6);
        assertThat(c.ropeTheta()).isEqualTo(10000.0);
        assertThat(c.tieWordEmbeddings()).isFalse();
        assertThat(c.initializerRange()).isEqualTo(0.02);
        assertThat(c.bosTokenId()).isEqualTo(1);
        assertThat(c.eosTokenIds()).containsExactly(2);
        assertThat(c.padTokenId()).isNull();
        assertThat(c.torchDtype()).isNull();
    }

    @Test
    void acceptsWhatRealCheckpointsWrite() throws IOException {
        // Llama-3 style: a list of end tokens, integer-valued floats, newer "dtype" key, default rope dict
        LlamaConfig c = read("{\"model_type\":\"llama\",\"vocab_size\":128256,\"hidden_size\":64,\"intermediate_size\":128,"
                + "\"num_hidden_layers\":2,\"num_attention_heads\":8,\"num_key_value_heads\":2,\"rope_theta\":500000,"
                + "\"eos_token_id\":[128001,128008,128009],\"bos_token_id\":128000,\"dtype\":\"bfloat16\","
                + "\"rope_scaling\":{\"rope_type\":\"default\"},\"head_dim\":8,\"unknown_field\":[1,2]}");
        assertThat(c.ropeTheta()).isEqualTo(500000.0);
        assertThat(c.eosTokenIds()).containsExactly(128001, 128008, 128009);
        assertThat(c.torchDtype()).isEqualTo("bfloat16");
    }

    private static final String BASE = "\"model_type\":\"llama\",\"vocab_size\":100,\"intermediate_size\":40,"
            + "\"num_hidden_layers\":1";

    @Test
    void wrongTypesAndMissingFieldsAreOneLineNamingFileAndField() throws IOException {
        refused("{" + BASE + ",\"hidden_size\":\"16\",\"num_attention_heads\":4}",
                "field hidden_size must be an integer, got string \"16\"");
        refused("{" + BASE + ",\"hidden_size\":16.5,\"num_attention_heads\":4}", "field hidden_size must be an integer");
        refused("{" + BASE + ",\"hidden_size\":16}", "required field num_attention_heads is missing");
        refused("{" + BASE + ",\"hidden_size\":16,\"num_attention_heads\":4,\"rms_norm_eps\":\"1e-6\"}",
                "field rms_norm_eps must be a number");
        refused("{" + BASE + ",\"hidden_size\":16,\"num_attention_heads\":4,\"tie_word_embeddings\":\"yes\"}",
                "field tie_word_embeddings must be true or false");
        refused("{" + BASE + ",\"hidden_size\":16,\"num_attention_heads\":4,\"eos_token_id\":[2,\"x\"]}",
                "field eos_token_id must be an integer or a list of integers");
        refused("{\"vocab_size\":100}", "field model_type is missing");
        refused("[1]", "not a JSON object");
        refused("{\"model_type\":", "not valid JSON");
    }

    @Test
    void inconsistentSizesAreRefused() throws IOException {
        refused("{" + BASE + ",\"hidden_size\":30,\"num_attention_heads\":4}",
                "hidden_size 30 is not divisible by num_attention_heads 4");
        refused("{" + BASE + ",\"hidden_size\":16,\"num_attention_heads\":4,\"num_key_value_heads\":3}",
                "num_attention_heads 4 is not divisible by num_key_value_heads 3");
        refused("{" + BASE + ",\"hidden_size\":16,\"num_attention_heads\":4,\"num_key_value_heads\":0}",
                "num_key_value_heads must be positive");
        refused("{" + BASE + ",\"hidden_size\":12,\"num_attention_heads\":4}", "must be even");
        refused("{" + BASE + ",\"hidden_size\":16,\"num_attention_heads\":4,\"eos_token_id\":100}",
                "eos_token_id 100 is outside the vocabulary [0, 100)");
        refused("{" + BASE + ",\"hidden_size\":16,\"num_attention_heads\":4,\"head_dim\":8}", "head_dim 8 differs");
    }

    @Test
    void optionsThisModelDoesNotHaveAreRefused() throws IOException {
        refused("{\"model_type\":\"gpt2\"}", "model_type \"gpt2\" is not supported");
        refused("{" + BASE + ",\"hidden_size\":16,\"num_attention_heads\":4,\"hidden_act\":\"gelu\"}",
                "hidden_act \"gelu\" is not supported");
        refused("{" + BASE + ",\"hidden_size\":16,\"num_attention_heads\":4,\"attention_bias\":true}",
                "attention_bias true is not supported");
        refused("{" + BASE + ",\"hidden_size\":16,\"num_attention_heads\":4,"
                + "\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8.0}}", "rope_scaling", "is not supported");
    }

    @Test
    void aMissingFileIsNamed() {
        Path file = dir.resolve("nowhere/config.json");
        assertThatThrownBy(() -> LlamaConfig.read(file)).isInstanceOf(HfFormatException.class)
                .hasMessage(file + ": no such file");
    }

    private LlamaConfig read(String json) throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        return LlamaConfig.read(file);
    }

    private void refused(String json, String... fragments) throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        assertThatThrownBy(() -> LlamaConfig.read(file)).isInstanceOf(HfFormatException.class)
                .satisfies(e -> assertThat(e.getMessage()).startsWith(file + ": ").doesNotContain("\n")
                        .contains(fragments));
    }

    @Test
    void jsonFormIsAnObjectNode() {
        ObjectNode o = LlamaConfig.of(64, 32, 64, 2, 4, 2).toJson();
        assertThat(LlamaConfig.fromJson("memory", o)).isEqualTo(LlamaConfig.of(64, 32, 64, 2, 4, 2));
    }
}
