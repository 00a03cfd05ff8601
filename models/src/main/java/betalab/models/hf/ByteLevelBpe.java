package betalab.models.hf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A byte-level BPE tokenizer in the GPT-2 manner: text is split around special tokens, cut into
 * chunks by GPT-2's pattern (contractions, letter runs, digit runs, other symbols, whitespace runs,
 * each with at most one leading space), each chunk's UTF-8 bytes start as one token each and the
 * learned merges join adjacent tokens, lowest rank first. Token strings spell bytes with GPT-2's
 * byte-to-character table so every byte is a printable character.
 *
 * <p>{@link #toTokenizerJson()} is the {@code tokenizer.json} the Hugging Face tokenizers library
 * loads and encodes to the same ids; {@link ByteLevelBpeTrainer} learns one from a corpus and
 * {@link #read} reads back files of this shape.
 */
public final class ByteLevelBpe {

    /** GPT-2's pre-tokenizer pattern; {@code \s} is Unicode whitespace, as in the Rust library. */
    static final Pattern CHUNKS = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final Map<Character, Integer> CHAR_TO_BYTE = new HashMap<>();

    static {
        // Printable Latin-1 bytes stand for themselves; the others get the code points from 256 on.
        int next = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = (char) (printable ? b : 256 + next++);
            CHAR_TO_BYTE.put(BYTE_TO_CHAR[b], b);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> tokens;
    private final Map<String, Integer> ids;
    private final int[] byteIds = new int[256];
    private final List<int[]> merges;
    /** (left id, right id) packed in a long: {rank, merged id}. */
    private final Map<Long, int[]> mergeTable = new HashMap<>();
    private final List<String> specialTokens;
    private final List<String> specialsLongestFirst;

    /**
     * @param tokens        every token by id: byte and merged tokens in byte-character spelling,
     *                      special tokens as their text
     * @param merges        pairs of token ids, in rank order; each pair's concatenation must be a token
     * @param specialTokens texts matched whole before chunking, each one of {@code tokens}
     */
    ByteLevelBpe(List<String> tokens, List<int[]> merges, List<String> specialTokens) {
        this.tokens = List.copyOf(tokens);
        this.merges = merges.stream().map(int[]::clone).toList();
        this.specialTokens = List.copyOf(specialTokens);
        this.ids = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            if (ids.put(tokens.get(i), i) != null) {
                throw new IllegalArgumentException("token '" + tokens.get(i) + "' appears twice in the vocabulary");
            }
        }
        for (int b = 0; b < 256; b++) {
            Integer id = ids.get(String.valueOf(BYTE_TO_CHAR[b]));
            if (id == null) {
                throw new IllegalArgumentException("the vocabulary has no token for byte " + b);
            }
            byteIds[b] = id;
        }
        for (int rank = 0; rank < this.merges.size(); rank++) {
            int[] pair = this.merges.get(rank);
            Integer merged = ids.get(tokens.get(pair[0]) + tokens.get(pair[1]));
            if (merged == null) {
                throw new IllegalArgumentException("merge '" + tokens.get(pair[0]) + " " + tokens.get(pair[1])
                        + "' makes no token of the vocabulary");
            }
            mergeTable.putIfAbsent(key(pair[0], pair[1]), new int[] {rank, merged});
        }
        for (String s : this.specialTokens) {
            if (!ids.containsKey(s) || s.isEmpty()) {
                throw new IllegalArgumentException("special token '" + s + "' is not in the vocabulary");
            }
        }
        this.specialsLongestFirst = this.specialTokens.stream()
                .sorted(Comparator.comparingInt(String::length).reversed()).toList();
    }

    static String byteToken(int b) {
        return String.valueOf(BYTE_TO_CHAR[b]);
    }

    static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    public int vocabSize() {
        return tokens.size();
    }

    /** The vocabulary entry of {@code id}: byte-character spelling, or a special token's text. */
    public String token(int id) {
        return tokens.get(id);
    }

    /** The id of a token or special token, or -1. */
    public int id(String token) {
        return ids.getOrDefault(token, -1);
    }

    public List<String> specialTokens() {
        return specialTokens;
    }

    public int mergeCount() {
        return merges.size();
    }

    // ---------------------------------------------------------------- encoding

    public int[] encode(String text) {
        List<Integer> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            String special = specialAt(text, i);
            if (special == null) {
                i++;
                continue;
            }
            encodeOrdinary(text.substring(start, i), out);
            out.add(ids.get(special));
            i += special.length();
            start = i;
        }
        encodeOrdinary(text.substring(start), out);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private String specialAt(String text, int at) {
        for (String s : specialsLongestFirst) {
            if (text.startsWith(s, at)) {
                return s;
            }
        }
        return null;
    }

    /** Text between special tokens: chunked, then each chunk merged. */
    private void encodeOrdinary(String text, List<Integer> out) {
        Matcher m = CHUNKS.matcher(text);
        while (m.find()) {
            for (int id : encodeChunk(m.group().getBytes(StandardCharsets.UTF_8))) {
                out.add(id);
            }
        }
    }

    /** Repeatedly joins the leftmost adjacent pair of lowest merge rank, as the Rust library does. */
    int[] encodeChunk(byte[] bytes) {
        int[] symbols = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            symbols[i] = byteIds[bytes[i] & 0xFF];
        }
        int n = symbols.length;
        while (n > 1) {
            int bestRank = Integer.MAX_VALUE;
            int bestAt = -1;
            int bestId = -1;
            for (int i = 0; i + 1 < n; i++) {
                int[] merge = mergeTable.get(key(symbols[i], symbols[i + 1]));
                if (merge != null && merge[0] < bestRank) {
                    bestRank = merge[0];
                    bestAt = i;
                    bestId = merge[1];
                }
            }
            if (bestAt < 0) {
                break;
            }
            symbols[bestAt] = bestId;
            System.arraycopy(symbols, bestAt + 2, symbols, bestAt + 1, n - bestAt - 2);
            n--;
        }
        return Arrays.copyOf(symbols, n);
    }

    /** The text of {@code ids}; byte sequences that are not UTF-8 become U+FFFD. */
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 0 || id >= tokens.size()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, "
                        + tokens.size() + ")");
            }
            String token = tokens.get(id);
            if (specialTokens.contains(token)) {
                bytes.writeBytes(token.getBytes(StandardCharsets.UTF_8));
            } else {
                for (int i = 0; i < token.length(); i++) {
                    bytes.write(CHAR_TO_BYTE.get(token.charAt(i)));
                }
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- tokenizer.json

    /** The {@code tokenizer.json} of this tokenizer, as the Hugging Face tokenizers library lays it out. */
    public ObjectNode toTokenizerJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String s : specialTokens) {
            ObjectNode t = added.addObject();
            t.put("id", ids.get(s));
            t.put("content", s);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(false, true));
        root.set("post_processor", byteLevel(false, false));
        root.set("decoder", byteLevel(true, true));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < tokens.size(); id++) {
            vocab.put(tokens.get(id), id);
        }
        ArrayNode mergeList = model.putArray("merges");
        for (int[] pair : merges) {
            mergeList.add(tokens.get(pair[0]) + " " + tokens.get(pair[1]));
        }
        return root;
    }

    private static ObjectNode byteLevel(boolean addPrefixSpace, boolean trimOffsets) {
        ObjectNode o = JSON.createObjectNode();
        o.put("type", "ByteLevel");
        o.put("add_prefix_space", addPrefixSpace);
        o.put("trim_offsets", trimOffsets);
        o.put("use_regex", true);
        return o;
    }

    /** Writes {@code tokenizer.json}, whole or not at all. */
    public void writeTokenizerJson(Path file) {
        writeJson(file, toTokenizerJson());
    }

    private static void writeJson(Path file, JsonNode json) {
        Path target = file.toAbsolutePath();
        Path temp = null;
        try {
            Files.createDirectories(target.getParent());
            temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".part");
            Files.writeString(temp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n");
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

    /** The tokenizer files transformers' {@code AutoTokenizer} reads from a model directory. */
    public static final String CONFIG_FILE_NAME = "tokenizer_config.json";

    /**
     * Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code directory}. The
     * config names the generic fast tokenizer class, so transformers uses tokenizer.json as it is
     * (a model-specific class such as LlamaTokenizerFast would rewrite its post-processor), keeps
     * decoded spacing as it is, and gives special tokens their roles, e.g.
     * {@code eos_token -> <|endoftext|>}.
     */
    public void writeDirectory(Path directory, Map<String, String> roles) {
        ObjectNode config = JSON.createObjectNode();
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        config.put("clean_up_tokenization_spaces", false);
        for (var role : new java.util.TreeMap<>(roles).entrySet()) {
            if (!List.of("bos_token", "eos_token", "pad_token", "unk_token").contains(role.getKey())) {
                throw new IllegalArgumentException("unknown special token role '" + role.getKey()
                        + "' (bos_token, eos_token, pad_token, unk_token)");
            }
            if (!specialTokens.contains(role.getValue())) {
                throw new IllegalArgumentException(role.getKey() + " '" + role.getValue()
                        + "' is not one of the special tokens " + specialTokens);
            }
            config.put(role.getKey(), role.getValue());
        }
        writeJson(directory.resolve(HfTokenizer.FILE_NAME), toTokenizerJson());
        writeJson(directory.resolve(CONFIG_FILE_NAME), config);
    }

    /**
     * Reads a byte-level BPE {@code tokenizer.json}: a BPE model over GPT-2's byte characters, a
     * ByteLevel pre-tokenizer with its regex and no prefix space, no normalizer, special added tokens.
     * Anything else is refused naming the field.
     */
    public static ByteLevelBpe read(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new HfFormatException(file + ": no such file");
        } catch (JsonProcessingException e) {
            throw new HfFormatException(file + ": not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asText())) {
            throw new HfFormatException(file + ": model.type is not \"BPE\"");
        }
        JsonNode pre = root.path("pre_tokenizer");
        if (!"ByteLevel".equals(pre.path("type").asText()) || pre.path("add_prefix_space").asBoolean(true)
                || !pre.path("use_regex").asBoolean(true)) {
            throw new HfFormatException(file + ": pre_tokenizer is not ByteLevel with use_regex and no prefix space");
        }
        if (!root.path("normalizer").isNull() && !root.path("normalizer").isMissingNode()) {
            throw new HfFormatException(file + ": normalizer " + root.get("normalizer") + " is not supported");
        }
        JsonNode vocab = model.path("vocab");
        if (!vocab.isObject()) {
            throw new HfFormatException(file + ": model.vocab is not an object");
        }
        String[] byId = new String[vocab.size()];
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = e.getValue().asInt(-1);
            if (!e.getValue().isIntegralNumber() || id < 0 || id >= byId.length || byId[id] != null) {
                throw new HfFormatException(file + ": model.vocab id of '" + e.getKey() + "' is not a unique id in [0, "
                        + byId.length + ")");
            }
            byId[id] = e.getKey();
        }
        List<String> tokenList = Arrays.asList(byId);
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < byId.length; i++) {
            index.put(byId[i], i);
        }
        List<int[]> mergeList = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            String left;
            String right;
            if (m.isArray() && m.size() == 2) {
                left = m.get(0).asText();
                right = m.get(1).asText();
            } else {
                String[] parts = m.asText().split(" ", -1);
                if (parts.length != 2) {
                    throw new HfFormatException(file + ": merge \"" + m.asText() + "\" is not two tokens");
                }
                left = parts[0];
                right = parts[1];
            }
            if (!index.containsKey(left) || !index.containsKey(right)) {
                throw new HfFormatException(file + ": merge \"" + left + " " + right + "\" names a token not in model.vocab");
            }
            mergeList.add(new int[] {index.get(left), index.get(right)});
        }
        List<String> specials = new ArrayList<>();
        for (JsonNode t : root.path("added_tokens")) {
            String content = t.path("content").asText();
            if (!t.path("special").asBoolean(false) || !index.containsKey(content)
                    || index.get(content) != t.path("id").asInt(-1)) {
                throw new HfFormatException(file + ": added token '" + content
                        + "' is not a special token with its model.vocab id");
            }
            specials.add(content);
        }
        try {
            return new ByteLevelBpe(tokenList, mergeList, specials);
        } catch (IllegalArgumentException e) {
            throw new HfFormatException(file + ": " + e.getMessage());
        }
    }
}
