package betalab.models.hf;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A {@code tokenizer.json} loaded by the Hugging Face tokenizers library (the Rust implementation
 * {@code transformers} uses, through its Java binding), so ids are exactly those of
 * {@code AutoTokenizer} for the same file. Holds native memory: close it.
 *
 * <p>The binding phones home once a day unless told not to and may download a native library it
 * does not carry; betalab sets its opt-out and offline switches before first use (a value the user
 * set explicitly is kept).
 */
public final class HfTokenizer implements AutoCloseable {

    public static final String FILE_NAME = "tokenizer.json";

    static {
        // system property -> environment variable that overrides it
        Map<String, String> switches = Map.of("OPT_OUT_TRACKING", "OPT_OUT_TRACKING", "ai.djl.offline", "DJL_OFFLINE");
        switches.forEach((property, variable) -> {
            if (System.getProperty(property) == null && System.getenv(variable) == null) {
                System.setProperty(property, "true");
            }
        });
    }

    private final Path file;
    private final HuggingFaceTokenizer tokenizer;
    private final int size;
    private final byte[] bytes;

    private HfTokenizer(Path file, HuggingFaceTokenizer tokenizer, int size, byte[] bytes) {
        this.file = file;
        this.tokenizer = tokenizer;
        this.size = size;
        this.bytes = bytes;
    }

    /** Loads {@code tokenizer.json}, given as the file or the model directory holding it. */
    public static HfTokenizer load(Path fileOrDirectory) {
        Path file = Files.isDirectory(fileOrDirectory) ? fileOrDirectory.resolve(FILE_NAME) : fileOrDirectory;
        if (!Files.isRegularFile(file)) {
            throw new HfFormatException(file + ": no such file");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
        int size = size(file, bytes);
        // Exactly the file's own behaviour: no truncation or padding added by the binding.
        Map<String, String> options = Map.of("truncation", "false", "padding", "false");
        try (var in = new java.io.ByteArrayInputStream(bytes)) {
            return new HfTokenizer(file, HuggingFaceTokenizer.newInstance(in, options), size, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            throw new HfFormatException(file + ": the Hugging Face tokenizers library cannot load it: " + why, e);
        }
    }

    /** The largest id of model.vocab and added_tokens, plus one: transformers' {@code len(tokenizer)}. */
    private static int size(Path file, byte[] bytes) {
        com.fasterxml.jackson.databind.JsonNode root;
        try {
            root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(bytes);
        } catch (IOException e) {
            throw new HfFormatException(file + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        int largest = -1;
        com.fasterxml.jackson.databind.JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) {
            for (com.fasterxml.jackson.databind.JsonNode id : vocab) {
                largest = Math.max(largest, id.asInt(-1));
            }
        } else if (vocab.isArray()) {
            largest = vocab.size() - 1;
        }
        for (com.fasterxml.jackson.databind.JsonNode added : root.path("added_tokens")) {
            largest = Math.max(largest, added.path("id").asInt(-1));
        }
        if (largest < 0) {
            throw new HfFormatException(file + ": model.vocab holds no tokens");
        }
        return largest + 1;
    }

    /** How many ids the tokenizer can give: one more than its largest (transformers' {@code len(tokenizer)}). */
    public int size() {
        return size;
    }

    /** The file as it was loaded, byte for byte: what a copy of this tokenizer writes, whatever the file became since. */
    public byte[] bytes() {
        return bytes.clone();
    }

    public Path file() {
        return file;
    }

    /** The ids of {@code text} alone, without the special tokens the file's post-processor adds. */
    public int[] encode(String text) {
        return encode(text, false);
    }

    /** With {@code addSpecialTokens}, as {@code tokenizer(text)} in transformers (e.g. a leading BOS). */
    public int[] encode(String text, boolean addSpecialTokens) {
        Encoding encoding = tokenizer.encode(text, addSpecialTokens, false);
        return Arrays.stream(encoding.getIds()).mapToInt(Math::toIntExact).toArray();
    }

    /** The token strings of {@code text}, as the vocabulary spells them. */
    public List<String> tokens(String text) {
        return List.of(tokenizer.encode(text, false, false).getTokens());
    }

    /** The text of {@code ids}, special tokens included. */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    public String decode(int[] ids, boolean skipSpecialTokens) {
        return tokenizer.decode(Arrays.stream(ids).asLongStream().toArray(), skipSpecialTokens);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
