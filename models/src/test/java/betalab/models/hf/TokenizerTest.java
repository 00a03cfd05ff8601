package betalab.models.hf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** betalab's byte-level BPE against the Hugging Face tokenizers library reading the file it wrote. */
class TokenizerTest {

    static final String EOT = "<|endoftext|>";
    static final String PAD = "<pad>";

    static final List<String> CORPUS_LINES = List.of(
            "The quick brown fox jumps over the lazy dog. The dog didn't care; it's lazy.",
            "Preference optimisation compares a chosen and a rejected response to the same prompt.",
            "We'll see: they're here, you've got it, I'm sure, she'd know.",
            "Numbers: 0 1 2 3 42 1234567890 3.14159 2026-12-01 +49 (0)30 1234",
            "Ünïcödé: naïve café, Straße, smørrebrød, São Paulo, Kraków, İstanbul.",
            "日本語のテキストと中文文本，还有한국어 문장도 있습니다。",
            "Emoji 🙂🙃 and symbols ∑ ∫ √ ≤ ≥ € £ ¥ — “quotes” ‘single’ …",
            "def f(x):\n    return x * 2  # double\n\n\tindented with a tab",
            "   leading spaces, trailing spaces   \n\n\nthree newlines",
            "ΕΛΛΗΝΙΚΆ και русский текст, עברית, العربية",
            // Unicode whitespace before symbols: a chunk of its own only where \\s is Unicode-aware
            // (as in the Rust library); otherwise merges across it are learned and ids differ
            "word\u00a0! x\u3000\u3000(y) end\u2003. a\u0085; b\u2028- c\u00a0\u00a0!!");

    static ByteLevelBpe bpe;

    @TempDir
    static Path dir;

    static Path tokenizerJson;

    @BeforeAll
    static void train() {
        List<String> corpus = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            corpus.addAll(CORPUS_LINES);
        }
        corpus.add("one document" + EOT + "another document" + EOT);
        bpe = ByteLevelBpeTrainer.train(corpus, 600, List.of(EOT, PAD));
        tokenizerJson = dir.resolve("tok/tokenizer.json");
        bpe.writeTokenizerJson(tokenizerJson);
    }

    static List<String> probes() {
        List<String> probes = new ArrayList<>(CORPUS_LINES);
        probes.addAll(List.of(
                "", " ", "  ", "\n", "\t\t x", "a  b   c    d", "trailing   ", "x\n\n  y",
                "unseen words: zygomorphic quixotry", "123456789012345678901234567890", "1,000,000.00 vs 1.000.000,00",
                "mixed42words and 42words", "CAPS LOCK IS ON", "can't won't shan't y'all O'Neil 'quoted'",
                "hello" + EOT + "world" + EOT, EOT + EOT + " " + EOT, PAD + " padded " + PAD, "<|endoftext|",
                "non-breaking\u00a0space and ideographic\u3000space",
 "zero\u200bwidth", "combining e\u0301 vs é",
                "🙂", "👩‍👩‍👧‍👦 family", "\uD834\uDD1E musical", "ﬁ ligature", "tabs\tand\rcarriage\r\nreturns",
                "ÄÖÜ äöü ß ẞ", "   \n   \n"));
        Random random = new Random(7);
        for (int n = 0; n < 30; n++) {
            StringBuilder s = new StringBuilder();
            int len = 1 + random.nextInt(40);
            for (int i = 0; i < len; i++) {
                int kind = random.nextInt(6);
                s.appendCodePoint(switch (kind) {
                    case 0 -> ' ';
                    case 1 -> 'a' + random.nextInt(26);
                    case 2 -> '0' + random.nextInt(10);
                    case 3 -> 0x00C0 + random.nextInt(0x100);
                    case 4 -> 0x4E00 + random.nextInt(0x200);
                    default -> "\n\t.,;'!?-()[]{}\"".charAt(random.nextInt(16));
                });
            }
            probes.add(s.toString());
        }
        return probes;
    }

    @Test
    void huggingFaceEncodesTheSameIdsAsBetalab() {
        try (HfTokenizer hf = HfTokenizer.load(tokenizerJson)) {
            for (String text : probes()) {
                int[] ours = bpe.encode(text);
                assertThat(hf.encode(text)).as("ids of \"%s\"", text).containsExactly(ours);
                assertThat(hf.encode(text, true)).as("no special tokens added").containsExactly(ours);
                assertThat(bpe.decode(ours)).isEqualTo(text);
                assertThat(hf.decode(ours)).as("decode of \"%s\"", text).isEqualTo(text);
            }
        }
    }

    @Test
    void theDirectoryFormLoadsToo() throws IOException {
        Path model = dir.resolve("model");
        bpe.writeDirectory(model, Map.of("eos_token", EOT, "pad_token", PAD));
        var config = HfFixtures.JSON.readTree(model.resolve("tokenizer_config.json").toFile());
        assertThat(config.get("tokenizer_class").asText()).isEqualTo("PreTrainedTokenizerFast");
        assertThat(config.get("eos_token").asText()).isEqualTo(EOT);
        assertThat(config.get("pad_token").asText()).isEqualTo(PAD);
        assertThatThrownBy(() -> bpe.writeDirectory(dir.resolve("bad"), Map.of("bos_token", "<s>")))
                .hasMessageContaining("bos_token '<s>' is not one of the special tokens");
        try (HfTokenizer hf = HfTokenizer.load(model)) {
            assertThat(hf.encode("The lazy dog")).containsExactly(bpe.encode("The lazy dog"));
            assertThat(hf.tokens("The lazy dog")).containsExactly("The", "Ġlazy", "Ġdog");
        }
    }

    @Test
    void mergesAreLearnedAndSpecialTokensComeLast() {
        assertThat(bpe.vocabSize()).isEqualTo(600);
        assertThat(bpe.mergeCount()).isGreaterThanOrEqualTo(600 - 256 - 2);
        assertThat(bpe.id(EOT)).isEqualTo(598);
        assertThat(bpe.id(PAD)).isEqualTo(599);
        assertThat(bpe.encode("hello" + EOT + "world")).contains(598);
        for (int b = 0; b < 256; b++) {
            assertThat(bpe.encode(new String(new byte[] {(byte) b}, StandardCharsets.ISO_8859_1)).length)
                    .isLessThanOrEqualTo(2);
        }
        String line = CORPUS_LINES.get(1);
        assertThat(bpe.encode(line).length).isLessThan(line.getBytes(StandardCharsets.UTF_8).length / 3);
    }

    /** A corpus small enough to follow by hand. */
    @Test
    void learnsTheMergesByHand() {
        // chunks: "ab" x1, " ab" x2, "abc" x1 -> pairs (a,b) 4, (' ',a) 2, (b,c) 1
        ByteLevelBpe small = ByteLevelBpeTrainer.train(List.of("ab ab ab", "abc"), 300, List.of());
        assertThat(small.mergeCount()).isEqualTo(2); // (ab, c) occurs once, under the minimum of 2
        assertThat(small.token(256)).isEqualTo("ab");
        assertThat(small.token(257)).isEqualTo("Ġab");
        assertThat(small.vocabSize()).isEqualTo(258);
        assertThat(small.encode("ab abc")).containsExactly(256, 257, 'c');
        assertThat(ByteLevelBpeTrainer.train(List.of("ab ab ab", "abc"), 300, List.of(), 1).mergeCount()).isEqualTo(3);
        assertThat(ByteLevelBpeTrainer.train(List.of("ab ab ab", "abc"), 257, List.of()).mergeCount()).isEqualTo(1);
    }

    @Test
    void trainingIsDeterministic() {
        ByteLevelBpe again = ByteLevelBpeTrainer.train(corpusTwice(), 600, List.of(EOT, PAD));
        ByteLevelBpe once = ByteLevelBpeTrainer.train(corpusTwice(), 600, List.of(EOT, PAD));
        assertThat(again.toTokenizerJson()).isEqualTo(once.toTokenizerJson());
    }

    private static List<String> corpusTwice() {
        List<String> c = new ArrayList<>(CORPUS_LINES);
        c.addAll(CORPUS_LINES);
        return c;
    }

    @Test
    void readsBackTheFileItWrote() {
        ByteLevelBpe back = ByteLevelBpe.read(tokenizerJson);
        assertThat(back.toTokenizerJson()).isEqualTo(bpe.toTokenizerJson());
        for (String text : probes()) {
            assertThat(back.encode(text)).containsExactly(bpe.encode(text));
        }
    }

    @Test
    void theLibraryRunsInsideANamedModule() {
        assertThat(HfTokenizer.class.getModule().getName()).isEqualTo("betalab.models");
        assertThat(ai.djl.huggingface.tokenizers.HuggingFaceTokenizer.class.getModule().getName())
                .isEqualTo("ai.djl.tokenizers");
        assertThat(System.getProperty("OPT_OUT_TRACKING")).isEqualTo("true");
    }

    @Test
    void badFilesAreOneLineNamingTheFile() throws IOException {
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a b\"]}}");
        assertThatThrownBy(() -> HfTokenizer.load(broken)).isInstanceOf(HfFormatException.class)
                .satisfies(e -> assertThat(e.getMessage()).startsWith(broken + ": the Hugging Face tokenizers library")
                        .doesNotContain("\n"));
        Path missing = dir.resolve("none/tokenizer.json");
        assertThatThrownBy(() -> HfTokenizer.load(missing)).hasMessage(missing + ": no such file");
        assertThatThrownBy(() -> ByteLevelBpe.read(broken)).isInstanceOf(HfFormatException.class)
                .hasMessageStartingWith(broken + ": pre_tokenizer is not ByteLevel");
        assertThatThrownBy(() -> bpe.decode(new int[] {600})).hasMessageContaining("token id 600 is outside");
        assertThatThrownBy(() -> ByteLevelBpeTrainer.train(List.of("x"), 257, List.of(EOT, PAD)))
                .hasMessageContaining("leaves no room");
    }
}
