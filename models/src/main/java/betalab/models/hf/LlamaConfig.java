package betalab.models.hf;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The fields of transformers' {@code LlamaConfig} that define a Llama-family decoder, named as
 * {@code config.json} names them; defaults are transformers'. Options this model family does not
 * implement (rope scaling, attention or MLP biases, an activation other than SiLU, a head size
 * other than hidden/heads) are refused when read rather than ignored.
 *
 * @param eosTokenIds one or more ids ({@code eos_token_id} may be a number or a list)
 * @param bosTokenId  null when absent
 * @param padTokenId  null when absent
 * @param torchDtype  the stored precision {@code transformers} records ("float32", "bfloat16"...), or null
 */
public record LlamaConfig(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
        int numAttentionHeads, int numKeyValueHeads, int maxPositionEmbeddings, double rmsNormEps,
        double ropeTheta, boolean tieWordEmbeddings, double initializerRange, Integer bosTokenId,
        List<Integer> eosTokenIds, Integer padTokenId, String torchDtype) {

    public static final String FILE_NAME = "config.json";
    public static final String MODEL_TYPE = "llama";
    public static final String ARCHITECTURE = "LlamaForCausalLM";

    // transformers' LlamaConfig defaults
    public static final int DEFAULT_MAX_POSITION_EMBEDDINGS = 2048;
    public static final double DEFAULT_RMS_NORM_EPS = 1e-6;
    public static final double DEFAULT_ROPE_THETA = 10000.0;
    public static final double DEFAULT_INITIALIZER_RANGE = 0.02;
    public static final int DEFAULT_BOS_TOKEN_ID = 1;
    public static final int DEFAULT_EOS_TOKEN_ID = 2;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT);
    private static final Set<String> STORED_DTYPES = Set.of("float32", "float16", "bfloat16", "float64");

    public LlamaConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        positive("num_key_value_heads", numKeyValueHeads);
        positive("max_position_embeddings", maxPositionEmbeddings);
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " is not divisible by num_attention_heads "
                    + numAttentionHeads);
        }
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + numAttentionHeads
                    + " is not divisible by num_key_value_heads " + numKeyValueHeads);
        }
        if ((hiddenSize / numAttentionHeads) % 2 != 0) {
            throw new IllegalArgumentException("head size " + hiddenSize / numAttentionHeads
                    + " (hidden_size / num_attention_heads) must be even for rotary embeddings");
        }
        if (!(rmsNormEps > 0) || !Double.isFinite(rmsNormEps)) {
            throw new IllegalArgumentException("rms_norm_eps must be positive, got " + rmsNormEps);
        }
        if (!(ropeTheta > 0) || !Double.isFinite(ropeTheta)) {
            throw new IllegalArgumentException("rope_theta must be positive, got " + ropeTheta);
        }
        if (!(initializerRange >= 0) || !Double.isFinite(initializerRange)) {
            throw new IllegalArgumentException("initializer_range must be non-negative, got " + initializerRange);
        }
        eosTokenIds = List.copyOf(eosTokenIds);
        for (Integer id : eosTokenIds) {
            tokenId("eos_token_id", id, vocabSize);
        }
        tokenId("bos_token_id", bosTokenId, vocabSize);
        tokenId("pad_token_id", padTokenId, vocabSize);
        if (torchDtype != null && !STORED_DTYPES.contains(torchDtype)) {
            throw new IllegalArgumentException("torch_dtype '" + torchDtype + "' is not one of " + STORED_DTYPES);
        }
    }

    /** A config with transformers' defaults for everything but the sizes; float32, untied. */
    public static LlamaConfig of(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
            int numAttentionHeads, int numKeyValueHeads) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, DEFAULT_MAX_POSITION_EMBEDDINGS, DEFAULT_RMS_NORM_EPS, DEFAULT_ROPE_THETA, false,
                DEFAULT_INITIALIZER_RANGE, vocabSize > DEFAULT_BOS_TOKEN_ID ? DEFAULT_BOS_TOKEN_ID : null,
                vocabSize > DEFAULT_EOS_TOKEN_ID ? List.of(DEFAULT_EOS_TOKEN_ID) : List.of(), null, "float32");
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    public LlamaConfig withTieWordEmbeddings(boolean tie) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, maxPositionEmbeddings, rmsNormEps, ropeTheta, tie, initializerRange, bosTokenId,
                eosTokenIds, padTokenId, torchDtype);
    }

    public LlamaConfig withMaxPositionEmbeddings(int positions) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, positions, rmsNormEps, ropeTheta, tieWordEmbeddings, initializerRange, bosTokenId,
                eosTokenIds, padTokenId, torchDtype);
    }

    public LlamaConfig withRope(double theta) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, maxPositionEmbeddings, rmsNormEps, theta, tieWordEmbeddings, initializerRange,
                bosTokenId, eosTokenIds, padTokenId, torchDtype);
    }

    public LlamaConfig withRmsNormEps(double eps) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, maxPositionEmbeddings, eps, ropeTheta, tieWordEmbeddings, initializerRange,
                bosTokenId, eosTokenIds, padTokenId, torchDtype);
    }

    public LlamaConfig withTokens(Integer bos, List<Integer> eos, Integer pad) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, maxPositionEmbeddings, rmsNormEps, ropeTheta, tieWordEmbeddings, initializerRange,
                bos, eos, pad, torchDtype);
    }

    // ---------------------------------------------------------------- reading

    /** Reads {@code config.json} in {@code directory}. */
    public static LlamaConfig readDirectory(Path directory) {
        return read(directory.resolve(FILE_NAME));
    }

    public static LlamaConfig read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new HfFormatException(file + ": no such file");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new HfFormatException(file + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new HfFormatException(file + ": not a JSON object");
        }
        return fromJson(file.toString(), root);
    }

    /** Parses a config.json object; {@code source} names it in messages. */
    public static LlamaConfig fromJson(String source, JsonNode root) {
        Fields f = new Fields(source, root);
        String modelType = f.string("model_type", null);
        if (modelType == null) {
            throw new HfFormatException(source + ": field model_type is missing (expected \"" + MODEL_TYPE + "\")");
        }
        if (!modelType.equals(MODEL_TYPE)) {
            throw new HfFormatException(source + ": model_type \"" + modelType + "\" is not supported (only \""
                    + MODEL_TYPE + "\")");
        }
        String act = f.string("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new HfFormatException(source + ": hidden_act \"" + act + "\" is not supported (only \"silu\")");
        }
        if (f.bool("attention_bias", false)) {
            throw new HfFormatException(source + ": attention_bias true is not supported");
        }
        if (f.bool("mlp_bias", false)) {
            throw new HfFormatException(source + ": mlp_bias true is not supported");
        }
        JsonNode scaling = root.get("rope_scaling");
        if (scaling != null && !scaling.isNull() && !isDefaultRope(scaling)) {
            throw new HfFormatException(source + ": rope_scaling " + scaling + " is not supported (only null)");
        }
        int vocab = f.integer("vocab_size");
        int hidden = f.integer("hidden_size");
        int intermediate = f.integer("intermediate_size");
        int layers = f.integer("num_hidden_layers");
        int heads = f.integer("num_attention_heads");
        Integer kvHeads = f.optionalInteger("num_key_value_heads");
        Integer headDim = f.optionalInteger("head_dim");
        if (headDim != null && heads > 0 && headDim * heads != hidden) {
            throw new HfFormatException(source + ": head_dim " + headDim + " differs from hidden_size / "
                    + "num_attention_heads = " + hidden / heads + ", which is not supported");
        }
        String dtype = f.string("torch_dtype", null);
        if (dtype == null) {
            dtype = f.string("dtype", null); // newer transformers write "dtype"
        }
        List<Integer> eos = f.integers("eos_token_id", List.of(DEFAULT_EOS_TOKEN_ID));
        try {
            return new LlamaConfig(vocab, hidden, intermediate, layers, heads, kvHeads == null ? heads : kvHeads,
                    f.integer("max_position_embeddings", DEFAULT_MAX_POSITION_EMBEDDINGS),
                    f.number("rms_norm_eps", DEFAULT_RMS_NORM_EPS), f.number("rope_theta", DEFAULT_ROPE_THETA),
                    f.bool("tie_word_embeddings", false), f.number("initializer_range", DEFAULT_INITIALIZER_RANGE),
                    f.nullableInteger("bos_token_id", DEFAULT_BOS_TOKEN_ID), eos,
                    f.nullableInteger("pad_token_id", null), dtype);
        } catch (HfFormatException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new HfFormatException(source + ": " + e.getMessage());
        }
    }

    private static boolean isDefaultRope(JsonNode scaling) {
        JsonNode type = scaling.has("rope_type") ? scaling.get("rope_type") : scaling.get("type");
        return type != null && "default".equals(type.asText()) && scaling.size() == 1;
    }

    /** Typed reads of config.json fields, each failure one line naming the file and field. */
    private record Fields(String source, JsonNode root) {
        private HfFormatException wrong(String field, String expected, JsonNode value) {
            return new HfFormatException(source + ": field " + field + " must be " + expected + ", got "
                    + value.getNodeType().toString().toLowerCase(java.util.Locale.ROOT) + " " + value);
        }

        private JsonNode present(String field) {
            JsonNode v = root.get(field);
            return v == null || v.isNull() ? null : v;
        }

        int integer(String field) {
            JsonNode v = present(field);
            if (v == null) {
                throw new HfFormatException(source + ": required field " + field + " is missing");
            }
            return toInt(field, v);
        }

        int integer(String field, int fallback) {
            JsonNode v = present(field);
            return v == null ? fallback : toInt(field, v);
        }

        Integer optionalInteger(String field) {
            JsonNode v = present(field);
            return v == null ? null : toInt(field, v);
        }

        /** Absent means the default; an explicit null means none. */
        Integer nullableInteger(String field, Integer fallback) {
            if (!root.has(field)) {
                return fallback;
            }
            JsonNode v = root.get(field);
            return v.isNull() ? null : toInt(field, v);
        }

        List<Integer> integers(String field, List<Integer> fallback) {
            if (!root.has(field)) {
                return fallback;
            }
            JsonNode v = root.get(field);
            if (v.isNull()) {
                return List.of();
            }
            if (v.isArray()) {
                List<Integer> out = new ArrayList<>();
                for (JsonNode e : v) {
                    if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                        throw wrong(field, "an integer or a list of integers", v);
                    }
                    out.add(e.intValue());
                }
                return out;
            }
            return List.of(toInt(field, v));
        }

        private int toInt(String field, JsonNode v) {
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw wrong(field, "an integer", v);
            }
            return v.intValue();
        }

        double number(String field, double fallback) {
            JsonNode v = present(field);
            if (v == null) {
                return fallback;
            }
            if (!v.isNumber()) {
                throw wrong(field, "a number", v);
            }
            return v.doubleValue();
        }

        boolean bool(String field, boolean fallback) {
            JsonNode v = present(field);
            if (v == null) {
                return fallback;
            }
            if (!v.isBoolean()) {
                throw wrong(field, "true or false", v);
            }
            return v.booleanValue();
        }

        String string(String field, String fallback) {
            JsonNode v = present(field);
            if (v == null) {
                return fallback;
            }
            if (!v.isTextual()) {
                throw wrong(field, "a string", v);
            }
            return v.textValue();
        }
    }

    private static void positive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be positive, got " + value);
        }
    }

    private static void tokenId(String field, Integer id, int vocabSize) {
        if (id != null && (id < 0 || id >= vocabSize)) {
            throw new IllegalArgumentException(field + " " + id + " is outside the vocabulary [0, " + vocabSize + ")");
        }
    }

    // ---------------------------------------------------------------- writing

    /** config.json as transformers' save_pretrained lays it out for LlamaForCausalLM. */
    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add(ARCHITECTURE);
        o.put("model_type", MODEL_TYPE);
        o.put("vocab_size", vocabSize);
        o.put("hidden_size", hiddenSize);
        o.put("intermediate_size", intermediateSize);
        o.put("num_hidden_layers", numHiddenLayers);
        o.put("num_attention_heads", numAttentionHeads);
        o.put("num_key_value_heads", numKeyValueHeads);
        o.put("head_dim", headDim());
        o.put("hidden_act", "silu");
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("initializer_range", initializerRange);
        o.put("rms_norm_eps", rmsNormEps);
        o.put("rope_theta", ropeTheta);
        o.putNull("rope_scaling");
        o.put("attention_bias", false);
        o.put("attention_dropout", 0.0);
        o.put("mlp_bias", false);
        o.put("pretraining_tp", 1);
        o.put("use_cache", true);
        o.put("tie_word_embeddings", tieWordEmbeddings);
        putId(o, "bos_token_id", bosTokenId);
        if (eosTokenIds.size() == 1) {
            o.put("eos_token_id", eosTokenIds.get(0));
        } else if (eosTokenIds.isEmpty()) {
            o.putNull("eos_token_id");
        } else {
            ArrayNode eos = o.putArray("eos_token_id");
            eosTokenIds.forEach(eos::add);
        }
        putId(o, "pad_token_id", padTokenId);
        if (torchDtype != null) {
            o.put("torch_dtype", torchDtype);
        }
        return o;
    }

    private static void putId(ObjectNode o, String field, Integer id) {
        if (id == null) {
            o.putNull(field);
        } else {
            o.put(field, id);
        }
    }

    /** Writes {@code config.json} into {@code directory}, whole or not at all. */
    public void writeDirectory(Path directory) {
        write(directory.resolve(FILE_NAME));
    }

    public void write(Path file) {
        Path target = file.toAbsolutePath();
        Path temp = null;
        try {
            Files.createDirectories(target.getParent());
            temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".part");
            Files.writeString(temp, JSON.writeValueAsString(toJson()) + "\n");
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // nothing more to do
                }
            }
        }
    }
}
