package betalab.lm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A text corpus: a UTF-8 file holding one document per line (blank lines are skipped), split into
 * training and held-out documents by position, so the split is the same on every machine. SFT trains
 * on the training documents and measures its validation loss on the held-out ones; the LM reward
 * task cuts its prompts from the held-out ones, text the SFT model never trained on.
 *
 * @param file       where the documents came from, for errors and provenance
 * @param train      the training documents, in file order
 * @param validation the held-out documents, in file order
 */
public record Corpus(Path file, List<String> train, List<String> validation) {

    public Corpus {
        train = List.copyOf(train);
        validation = List.copyOf(validation);
    }

    /**
     * Reads {@code file}, holding out every {@code validationEvery}-th document (the 10th, 20th, …
     * for 10). Fails with one line naming the file — and the line, for a line that is not UTF-8 —
     * when it cannot be read, is not UTF-8, or has too few documents to hold one out.
     */
    public static Corpus read(Path file, int validationEvery) {
        if (validationEvery < 2) {
            throw new IllegalArgumentException("validationEvery must be ≥ 2, not " + validationEvery);
        }
        List<String> documents = documents(file);
        if (documents.size() < validationEvery) {
            throw new IllegalArgumentException(file + ": holds " + documents.size() + " document(s) (one a line); "
                    + "holding out every " + validationEvery + "th needs at least " + validationEvery);
        }
        List<String> train = new ArrayList<>();
        List<String> validation = new ArrayList<>();
        for (int i = 0; i < documents.size(); i++) {
            (i % validationEvery == validationEvery - 1 ? validation : train).add(documents.get(i));
        }
        return new Corpus(file, train, validation);
    }

    /** The non-blank lines of {@code file}, stripped, decoded strictly as UTF-8. */
    public static List<String> documents(Path file) {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readAllBytes();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot be read (" + e.getMessage() + ")");
        }
        List<String> documents = new ArrayList<>();
        int line = 1;
        int start = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i == bytes.length || bytes[i] == '\n') {
                String text = decode(file, line, bytes, start, i).strip();
                if (!text.isEmpty()) {
                    documents.add(text);
                }
                line++;
                start = i + 1;
            }
        }
        if (documents.isEmpty()) {
            throw new IllegalArgumentException(file + ": is empty (a corpus holds one document a line)");
        }
        return documents;
    }

    private static String decode(Path file, int line, byte[] bytes, int from, int to) {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, from, to - from);
        try {
            CharBuffer text = utf8.decode(in);
            return text.toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ", line " + line + ": is not UTF-8 (a malformed byte sequence "
                    + "near byte " + (utf8DamageAt(bytes, from, to) - from + 1) + " of the line)");
        }
    }

    /** The position of the first byte at which strict decoding of bytes[from, to) fails. */
    private static int utf8DamageAt(byte[] bytes, int from, int to) {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, from, to - from);
        utf8.decode(in, CharBuffer.allocate(to - from + 1), true);
        return in.position();
    }

    /** Every document, training ones first: what a tokenizer is trained on. */
    public List<String> all() {
        List<String> all = new ArrayList<>(train);
        all.addAll(validation);
        return all;
    }
}
