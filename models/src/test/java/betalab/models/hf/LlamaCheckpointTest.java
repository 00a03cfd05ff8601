package betalab.models.hf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LlamaCheckpointTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-llama-tied"})
    void readsThePyTorchModelDirectory(String model) {
        LlamaCheckpoint ckpt = LlamaCheckpoint.read(HfFixtures.path(model), DType.FLOAT64);
        assertThat(ckpt.tensors().keySet()).containsExactlyElementsOf(LlamaCheckpoint.expectedShapes(ckpt.config()).keySet());
        assertThat(ckpt.tensors()).hasSize(1 + 2 * 9 + 2);
        assertThat(ckpt.tensor("model.layers.1.mlp.gate_proj.weight").dtype()).isEqualTo(DType.FLOAT64);
        boolean tied = ckpt.config().tieWordEmbeddings();
        assertThat(ckpt.tensor(LlamaCheckpoint.LM_HEAD) == ckpt.tensor(LlamaCheckpoint.EMBED_TOKENS)).isEqualTo(tied);
        assertThat(ckpt.storedNames()).hasSize(tied ? 20 : 21);
        var summary = HfFixtures.json(model + "/expected.json").get("tensors");
        for (String name : ckpt.storedNames()) {
            assertThat(ckpt.tensor(name).toDoubleArray()[0]).as(name).isEqualTo(summary.get(name).get("first").get(0).asDouble());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-llama-tied"})
    void writesWhatItReadsAsTransformersLaysItOut(String model) {
        LlamaCheckpoint ckpt = LlamaCheckpoint.read(HfFixtures.path(model), DType.FLOAT32);
        Path out = dir.resolve("saved");
        ckpt.write(out);
        try (SafeTensors file = SafeTensors.open(out.resolve("model.safetensors"));
                SafeTensors original = SafeTensors.open(HfFixtures.path(model + "/model.safetensors"))) {
            assertThat(file.names()).containsExactlyInAnyOrderElementsOf(original.names());
            for (String name : original.names()) {
                assertThat(file.values(name)).as(name).containsExactly(original.values(name));
            }
        }
        assertThat(LlamaConfig.readDirectory(out)).isEqualTo(ckpt.config());
        LlamaCheckpoint back = LlamaCheckpoint.read(out, DType.FLOAT32);
        for (String name : ckpt.tensors().keySet()) {
            assertThat(back.tensor(name).toDoubleArray()).containsExactly(ckpt.tensor(name).toDoubleArray());
        }
    }

    @Test
    void readsShardsListedByAnIndex() throws IOException {
        LlamaCheckpoint ckpt = LlamaCheckpoint.read(HfFixtures.path("tiny-llama"), DType.FLOAT32);
        Path out = dir.resolve("sharded");
        ckpt.config().writeDirectory(out);
        Map<String, Tensor> first = new LinkedHashMap<>();
        Map<String, Tensor> second = new LinkedHashMap<>();
        ObjectNode index = HfFixtures.JSON.createObjectNode();
        ObjectNode map = index.putObject("weight_map");
        for (String name : ckpt.storedNames()) {
            boolean early = name.startsWith("model.layers.0.") || name.startsWith("model.embed");
            (early ? first : second).put(name, ckpt.tensor(name));
            map.put(name, early ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
        }
        SafeTensors.write(out.resolve("model-00001-of-00002.safetensors"), first);
        SafeTensors.write(out.resolve("model-00002-of-00002.safetensors"), second);
        Files.writeString(out.resolve("model.safetensors.index.json"), index.toString());
        LlamaCheckpoint back = LlamaCheckpoint.read(out, DType.FLOAT32);
        assertThat(back.tensor(LlamaCheckpoint.NORM).toDoubleArray()).containsExactly(ckpt.tensor(LlamaCheckpoint.NORM).toDoubleArray());

        map.put("model.norm.weight", "../elsewhere.safetensors");
        Files.writeString(out.resolve("model.safetensors.index.json"), index.toString());
        assertThatThrownBy(() -> LlamaCheckpoint.read(out, DType.FLOAT32)).isInstanceOf(HfFormatException.class)
                .hasMessageContaining("tensor 'model.norm.weight' is in \"../elsewhere.safetensors\"");
    }

    /** A missing, misshapen or unknown tensor is one line naming the file and the tensor. */
    @Test
    void mismatchedTensorsAreNamed() {
        LlamaCheckpoint ckpt = LlamaCheckpoint.read(HfFixtures.path("tiny-llama"), DType.FLOAT32);
        Path out = dir.resolve("bad");
        ckpt.config().writeDirectory(out);
        Path weights = out.resolve("model.safetensors");

        Map<String, Tensor> missing = new LinkedHashMap<>(ckpt.tensors());
        missing.remove("model.layers.1.self_attn.v_proj.weight");
        SafeTensors.write(weights, missing);
        assertThatThrownBy(() -> LlamaCheckpoint.read(out, DType.FLOAT32)).isInstanceOf(HfFormatException.class)
                .hasMessage(weights + ": tensor 'model.layers.1.self_attn.v_proj.weight' is missing");

        Map<String, Tensor> misshapen = new LinkedHashMap<>(ckpt.tensors());
        misshapen.put("model.norm.weight", Tensor.zeros(DType.FLOAT32, 31));
        SafeTensors.write(weights, misshapen);
        assertThatThrownBy(() -> LlamaCheckpoint.read(out, DType.FLOAT32)).isInstanceOf(HfFormatException.class)
                .hasMessage(weights + ": tensor 'model.norm.weight' has shape [31], config.json needs [32]");

        Map<String, Tensor> extra = new LinkedHashMap<>(ckpt.tensors());
        extra.put("model.layers.2.mlp.up_proj.weight", Tensor.zeros(DType.FLOAT32, 64, 32));
        SafeTensors.write(weights, extra);
        assertThatThrownBy(() -> LlamaCheckpoint.read(out, DType.FLOAT32)).isInstanceOf(HfFormatException.class)
                .hasMessage(weights + ": tensor 'model.layers.2.mlp.up_proj.weight' is not part of a LlamaForCausalLM"
                        + " with 2 layers");

        Map<String, Tensor> withRotary = new LinkedHashMap<>(ckpt.tensors());
        withRotary.put("model.layers.0.self_attn.rotary_emb.inv_freq", Tensor.zeros(DType.FLOAT32, 4));
        SafeTensors.write(weights, withRotary);
        assertThat(LlamaCheckpoint.read(out, DType.FLOAT32).tensors()).doesNotContainKey(
                "model.layers.0.self_attn.rotary_emb.inv_freq");

        assertThatThrownBy(() -> LlamaCheckpoint.read(dir.resolve("empty"), DType.FLOAT32))
                .isInstanceOf(HfFormatException.class).hasMessageEndingWith("config.json: no such file");
    }

    @Test
    void aRefusedCheckpointWritesNothing() {
        LlamaConfig config = LlamaConfig.of(64, 32, 64, 1, 4, 2);
        assertThatThrownBy(() -> new LlamaCheckpoint(config, Map.of(LlamaCheckpoint.EMBED_TOKENS,
                Tensor.zeros(DType.FLOAT32, 64, 32)))).isInstanceOf(HfFormatException.class)
                .hasMessage("the weights: tensor 'model.layers.0.self_attn.q_proj.weight' is missing");
        Map<String, Tensor> mixed = new LinkedHashMap<>();
        LlamaCheckpoint.expectedShapes(config).forEach((name, shape) -> mixed.put(name, Tensor.zeros(
                name.equals(LlamaCheckpoint.NORM) ? DType.FLOAT64 : DType.FLOAT32, shape)));
        LlamaCheckpoint ckpt = new LlamaCheckpoint(config, mixed);
        assertThatThrownBy(() -> ckpt.write(dir.resolve("mixed"))).hasMessageContaining("one precision");
        assertThat(dir.resolve("mixed")).doesNotExist();
        assertThat(List.of(LlamaCheckpoint.LayerTensor.values())).hasSize(9);
    }
}
