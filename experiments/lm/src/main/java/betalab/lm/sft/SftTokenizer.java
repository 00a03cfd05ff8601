package betalab.lm.sft;

import betalab.models.hf.ByteLevelBpe;
import betalab.models.hf.ByteLevelBpeTrainer;
import betalab.models.hf.HfFormatException;
import betalab.models.hf.HfTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The tokenizer SFT trains with, and the one its model directory ships: a {@code tokenizer.json}
 * given (encoded by the Hugging Face tokenizers library), or a byte-level BPE learned from the
 * training documents with the end-of-text token as its special token. Either way the end-of-text
 * token is what separates packed documents.
 */
final class SftTokenizer implements AutoCloseable {

    private final int size;
    private final int endOfText;
    private final ByteLevelBpe learned;
    private final HfTokenizer given;
    private final byte[] file;

    private SftTokenizer(int size, int endOfText, ByteLevelBpe learned, HfTokenizer given, byte[] file) {
        this.size = size;
        this.endOfText = endOfText;
        this.learned = learned;
        this.given = given;
        this.file = file;
    }

    /** A byte-level BPE of at most {@code vocabSize} tokens learned from {@code texts}, {@code endOfText} its special token. */
    static SftTokenizer learn(List<String> texts, int vocabSize, String endOfText) {
        ByteLevelBpe bpe = ByteLevelBpeTrainer.train(texts, vocabSize, List.of(endOfText));
        return new SftTokenizer(bpe.vocabSize(), bpe.id(endOfText), bpe, null, null);
    }

    /**
     * The tokenizer in {@code file}; its size is transformers' {@code len(tokenizer)}: one more than
     * the largest id of its vocabulary and added tokens. {@code endOfText} must encode to one token.
     */
    static SftTokenizer read(Path file, String endOfText) {
        HfTokenizer hf = HfTokenizer.load(file);
        int[] eos = hf.encode(endOfText, false);
        if (eos.length != 1) {
            hf.close();
            throw new HfFormatException(file + ": the end-of-text token '" + endOfText + "' is not one token of it "
                    + "(it encodes to " + eos.length + "); name one of its tokens with tokenizer.eos_token");
        }
        return new SftTokenizer(hf.size(), eos[0], null, hf, hf.bytes());
    }

    int size() {
        return size;
    }

    int endOfText() {
        return endOfText;
    }

    /** The ids of {@code text}, no special tokens added. */
    int[] encode(String text) {
        return learned != null ? learned.encode(text) : given.encode(text, false);
    }

    /** Writes tokenizer.json (and, for a learned one, tokenizer_config.json naming its end-of-text token) into {@code directory}. */
    void writeTo(Path directory, String endOfTextToken) {
        if (learned != null) {
            learned.writeDirectory(directory, Map.of("eos_token", endOfTextToken));
            return;
        }
        try {
            Files.write(directory.resolve(HfTokenizer.FILE_NAME), file);
        } catch (IOException e) {
            throw new UncheckedIOException(directory.resolve(HfTokenizer.FILE_NAME) + ": cannot write: "
                    + e.getMessage(), e);
        }
    }

    /** Frees a given tokenizer's native memory; it encodes no more, but can still be written. */
    @Override
    public void close() {
        if (given != null) {
            given.close();
        }
    }
}
