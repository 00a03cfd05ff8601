package betalab.models.hf;

import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Llama-family model directory as {@code transformers} lays it out: {@code config.json} and the
 * weights under {@code LlamaForCausalLM}'s tensor names, in {@code model.safetensors} or in shards
 * listed by {@code model.safetensors.index.json}. Reading checks every expected tensor is present
 * with its shape (and nothing unknown is), one line naming the file and tensor otherwise; writing
 * checks the same before any file is touched.
 *
 * @param tensors by name, {@link #LM_HEAD} included even when tied (then the same tensor as
 *                {@link #EMBED_TOKENS}, whatever was given for it)
 */
public record LlamaCheckpoint(LlamaConfig config, Map<String, Tensor> tensors) {

    public static final String WEIGHTS_FILE = "model.safetensors";
    public static final String WEIGHTS_INDEX_FILE = "model.safetensors.index.json";
    public static final String EMBED_TOKENS = "model.embed_tokens.weight";
    public static final String NORM = "model.norm.weight";
    public static final String LM_HEAD = "lm_head.weight";

    /** The per-layer tensors, named {@code model.layers.{i}.<part>.weight}. */
    public enum LayerTensor {
        Q_PROJ("self_attn.q_proj"),
        K_PROJ("self_attn.k_proj"),
        V_PROJ("self_attn.v_proj"),
        O_PROJ("self_attn.o_proj"),
        GATE_PROJ("mlp.gate_proj"),
        UP_PROJ("mlp.up_proj"),
        DOWN_PROJ("mlp.down_proj"),
        INPUT_LAYERNORM("input_layernorm"),
        POST_ATTENTION_LAYERNORM("post_attention_layernorm");

        private final String part;

        LayerTensor(String part) {
            this.part = part;
        }

        public String name(int layer) {
            return "model.layers." + layer + "." + part + ".weight";
        }

        /** Shapes as torch stores them: a linear layer's weight is out × in. */
        public int[] shape(LlamaConfig c) {
            int h = c.hiddenSize();
            int q = c.numAttentionHeads() * c.headDim();
            int kv = c.numKeyValueHeads() * c.headDim();
            return switch (this) {
                case Q_PROJ -> new int[] {q, h};
                case K_PROJ, V_PROJ -> new int[] {kv, h};
                case O_PROJ -> new int[] {h, q};
                case GATE_PROJ, UP_PROJ -> new int[] {c.intermediateSize(), h};
                case DOWN_PROJ -> new int[] {h, c.intermediateSize()};
                case INPUT_LAYERNORM, POST_ATTENTION_LAYERNORM -> new int[] {h};
            };
        }
    }

    /** Older transformers stored this buffer; it is recomputed from rope_theta, so it is skipped. */
    private static final String ROTARY_BUFFER_SUFFIX = ".self_attn.rotary_emb.inv_freq";
    private static final ObjectMapper JSON = new ObjectMapper();

    public LlamaCheckpoint {
        tensors = checked("the weights", config, tensors);
    }

    /** Every tensor of {@code config}'s model with its shape, in LlamaForCausalLM's order. */
    public static Map<String, int[]> expectedShapes(LlamaConfig config) {
        Map<String, int[]> out = new LinkedHashMap<>();
        out.put(EMBED_TOKENS, new int[] {config.vocabSize(), config.hiddenSize()});
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            for (LayerTensor t : LayerTensor.values()) {
                out.put(t.name(i), t.shape(config));
            }
        }
        out.put(NORM, new int[] {config.hiddenSize()});
        out.put(LM_HEAD, new int[] {config.vocabSize(), config.hiddenSize()});
        return out;
    }

    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' in a Llama checkpoint");
        }
        return t;
    }

    /** The names and shapes must be exactly the expected ones; a tied model may leave out lm_head. */
    private static Map<String, Tensor> checked(String source, LlamaConfig config, Map<String, Tensor> given) {
        Map<String, int[]> expected = expectedShapes(config);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var e : expected.entrySet()) {
            // tied: the output projection is the embedding, whatever else a file holds (as transformers ties it)
            Tensor t = e.getKey().equals(LM_HEAD) && config.tieWordEmbeddings() ? out.get(EMBED_TOKENS)
                    : given.get(e.getKey());
            if (t == null) {
                throw new HfFormatException(source + ": tensor '" + e.getKey() + "' is missing");
            }
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new HfFormatException(source + ": tensor '" + e.getKey() + "' has shape "
                        + Arrays.toString(t.shape()) + ", the config needs " + Arrays.toString(e.getValue()));
            }
            out.put(e.getKey(), t);
        }
        for (String name : given.keySet()) {
            if (!expected.containsKey(name)) {
                throw new HfFormatException(source + ": tensor '" + name + "' is not part of a "
                        + LlamaConfig.ARCHITECTURE + " with " + config.numHiddenLayers() + " layers");
            }
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    // ---------------------------------------------------------------- reading

    /** Reads {@code directory}: its config.json and weights, converted to {@code dtype}. */
    public static LlamaCheckpoint read(Path directory, DType dtype) {
        LlamaConfig config = LlamaConfig.readDirectory(directory);
        Map<String, Path> where = weightFiles(directory);
        Map<Path, SafeTensors> open = new LinkedHashMap<>();
        try {
            Map<String, int[]> expected = expectedShapes(config);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (var e : where.entrySet()) {
                String name = e.getKey();
                if (name.endsWith(ROTARY_BUFFER_SUFFIX)) {
                    continue;
                }
                SafeTensors file = open.computeIfAbsent(e.getValue(), SafeTensors::open);
                String source = file.file().toString();
                if (!file.contains(name)) {
                    throw new HfFormatException(directory.resolve(WEIGHTS_INDEX_FILE) + ": tensor '" + name
                            + "' is listed in " + e.getValue().getFileName() + ", which does not hold it");
                }
                int[] want = expected.get(name);
                if (want == null) {
                    throw new HfFormatException(source + ": tensor '" + name + "' is not part of a "
                            + LlamaConfig.ARCHITECTURE + " with " + config.numHiddenLayers() + " layers");
                }
                if (!Arrays.equals(file.shape(name), want)) {
                    throw new HfFormatException(source + ": tensor '" + name + "' has shape "
                            + Arrays.toString(file.shape(name)) + ", config.json needs " + Arrays.toString(want));
                }
                tensors.put(name, file.tensor(name, dtype));
            }
            String source = where.isEmpty() ? directory.toString() : where.values().iterator().next().toString();
            return new LlamaCheckpoint(config, checked(source, config, tensors));
        } finally {
            open.values().forEach(SafeTensors::close);
        }
    }

    /** Tensor name → the file holding it: model.safetensors, or the shards an index lists. */
    private static Map<String, Path> weightFiles(Path directory) {
        Path single = directory.resolve(WEIGHTS_FILE);
        Map<String, Path> out = new LinkedHashMap<>();
        if (Files.isRegularFile(single)) {
            try (SafeTensors file = SafeTensors.open(single)) {
                file.names().forEach(n -> out.put(n, single));
            }
            return out;
        }
        Path index = directory.resolve(WEIGHTS_INDEX_FILE);
        if (!Files.isRegularFile(index)) {
            throw new HfFormatException(directory + ": no " + WEIGHTS_FILE + " or " + WEIGHTS_INDEX_FILE);
        }
        JsonNode map;
        try {
            map = JSON.readTree(Files.readString(index)).path("weight_map");
        } catch (JsonProcessingException e) {
            throw new HfFormatException(index + ": not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(index + ": cannot read: " + e.getMessage(), e);
        }
        if (!map.isObject()) {
            throw new HfFormatException(index + ": weight_map missing or not an object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String shard = e.getValue().asText("");
            Path file = directory.resolve(shard).normalize();
            if (!e.getValue().isTextual() || !file.getParent().equals(directory.normalize()) || !Files.isRegularFile(file)) {
                throw new HfFormatException(index + ": tensor '" + e.getKey() + "' is in \"" + shard
                        + "\", which is not a file of this directory");
            }
            out.put(e.getKey(), file);
        }
        return out;
    }

    // ---------------------------------------------------------------- writing

    /**
     * Writes config.json and model.safetensors into {@code directory} (lm_head left out when tied,
     * as save_pretrained does), with {@code torch_dtype} set to the tensors' precision.
     */
    public void write(Path directory) {
        DType dtype = tensors.get(EMBED_TOKENS).dtype();
        for (var e : tensors.entrySet()) {
            if (e.getValue().dtype() != dtype) {
                throw new IllegalArgumentException(e.getKey() + " is " + e.getValue().dtype() + ", "
                        + EMBED_TOKENS + " is " + dtype + ": a checkpoint has one precision");
            }
        }
        Map<String, Tensor> stored = new TreeMap<>(tensors);
        if (config.tieWordEmbeddings()) {
            stored.remove(LM_HEAD);
        }
        LlamaConfig withDtype = new LlamaConfig(config.vocabSize(), config.hiddenSize(), config.intermediateSize(),
                config.numHiddenLayers(), config.numAttentionHeads(), config.numKeyValueHeads(),
                config.maxPositionEmbeddings(), config.rmsNormEps(), config.ropeTheta(), config.tieWordEmbeddings(),
                config.initializerRange(), config.bosTokenId(), config.eosTokenIds(), config.padTokenId(),
                dtype == DType.FLOAT64 ? "float64" : "float32");
        SafeTensors.write(directory.resolve(WEIGHTS_FILE), stored, Map.of("format", "pt"));
        withDtype.writeDirectory(directory);
    }

    /** The names of the tensors a directory written by {@link #write} holds. */
    public List<String> storedNames() {
        List<String> names = new ArrayList<>(tensors.keySet());
        if (config.tieWordEmbeddings()) {
            names.remove(LM_HEAD);
        }
        return names;
    }
}
