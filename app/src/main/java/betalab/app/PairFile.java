package betalab.app;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Preference pairs in JSON Lines, one object per line, read in chunks so a file of any length
 * needs memory for one chunk only. Every line is checked; an error names the file, the line and
 * the field. Blank lines are errors: output line k answers input line k, and a skipped line would
 * silently shift that.
 */
final class PairFile {
    static final int POLICY_CHOSEN = 0;
    static final int POLICY_REJECTED = 1;
    static final int REF_CHOSEN = 2;
    static final int REF_REJECTED = 3;
    static final int CHOSEN_LENGTH = 4;
    static final int REJECTED_LENGTH = 5;
    static final int BETA = 6;

    /** Field names by column; the first {@link #REQUIRED} are required, the rest must be &gt; 0. */
    static final String[] FIELDS = {"policy_chosen_logps", "policy_rejected_logps", "ref_chosen_logps",
            "ref_rejected_logps", "chosen_length", "rejected_length", "beta"};
    private static final List<String> FIELD_LIST = List.of(FIELDS);
    private static final int REQUIRED = 4;

    // NaN and Infinity are parsed, not refused as syntax, so the error can name the field holding them.
    // The fast parser gives the same doubles as Double.parseDouble, a few times faster.
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER).build();

    /** Consecutive pairs: row i is the line {@code firstLine + i}; column j holds {@code FIELDS[j]}. */
    static final class Chunk {
        private final double[][] columns;
        private int size;
        private long firstLine = 1;

        private Chunk(int capacity) {
            columns = new double[FIELDS.length][capacity];
        }

        int size() {
            return size;
        }

        long firstLine() {
            return firstLine;
        }

        /** Column j of the filled rows; the array is the chunk's own, valid until the next chunk is read. */
        double[] column(int j) {
            return size == columns[j].length ? columns[j] : Arrays.copyOf(columns[j], size);
        }

        double get(int j, int row) {
            return columns[j][row];
        }
    }

    /** Receives each chunk once it is full, and the last one however full. */
    @FunctionalInterface
    interface ChunkSink {
        void accept(Chunk chunk) throws IOException;
    }

    private final Path file;
    private final double defaultBeta;

    /** {@code defaultBeta} is the β of pairs without a beta field. */
    PairFile(Path file, double defaultBeta) {
        this.file = file;
        this.defaultBeta = defaultBeta;
    }

    /**
     * Reads the whole file, handing chunks of up to {@code chunkSize} pairs to {@code sink}, and
     * returns the number of pairs.
     *
     * @throws IllegalArgumentException on the first bad line, or if the file holds no pairs
     * @throws UncheckedIOException     if the file cannot be read
     */
    long read(int chunkSize, ChunkSink sink) {
        try (InputStream in = Files.newInputStream(file)) {
            Lines lines = new Lines(in);
            Chunk chunk = new Chunk(chunkSize);
            long line = 0;
            while (lines.next()) {
                line++;
                parse(lines, line, chunk, chunk.size++);
                if (chunk.size == chunkSize) {
                    sink.accept(chunk);
                    chunk.size = 0;
                    chunk.firstLine = line + 1;
                }
            }
            if (chunk.size > 0) {
                sink.accept(chunk);
            }
            if (line == 0) {
                throw new IllegalArgumentException(file + ": no pairs, the file is empty");
            }
            return line;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private void parse(Lines lines, long line, Chunk chunk, int row) throws IOException {
        if (lines.isBlank()) {
            throw bad(line, "blank line (every line must hold one pair)");
        }
        double[][] c = chunk.columns;
        c[CHOSEN_LENGTH][row] = 1;
        c[REJECTED_LENGTH][row] = 1;
        c[BETA][row] = defaultBeta;
        int seen = 0;
        String field = null;
        try (JsonParser p = JSON.createParser(lines.buf, lines.start, lines.end - lines.start)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw bad(line, "expected a JSON object");
            }
            // Inside an object Jackson returns a field name or the object's end, or throws.
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                field = p.currentName();
                p.nextToken();
                int j = FIELD_LIST.indexOf(field);
                if (j < 0) {
                    p.skipChildren();
                } else if ((seen & 1 << j) != 0) {
                    throw bad(line, field, "appears twice");
                } else {
                    seen |= 1 << j;
                    if (p.currentToken() != JsonToken.VALUE_NULL || j < REQUIRED) {
                        c[j][row] = number(p, line, field, j >= REQUIRED);
                    }
                }
                field = null;
            }
            if (p.nextToken() != null) {
                throw bad(line, "more than one JSON value on the line");
            }
        } catch (JsonProcessingException e) {
            // Jackson's own message, less the note on where an unclosed object began (always column 1).
            String where = field == null ? "" : " in field '" + shorten(field) + "'";
            throw bad(line, "malformed JSON" + where + " at column " + e.getLocation().getColumnNr() + ": "
                    + e.getOriginalMessage().replaceAll(" \\(start marker at .*", ""));
        }
        for (int j = 0; j < REQUIRED; j++) {
            if ((seen & 1 << j) == 0) {
                throw bad(line, FIELDS[j], "is missing");
            }
        }
    }

    private double number(JsonParser p, long line, String field, boolean positive) throws IOException {
        JsonToken t = p.currentToken();
        if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
            String got = t == JsonToken.VALUE_STRING ? "\"" + shorten(p.getText()) + "\""
                    : t.isStructStart() ? (t == JsonToken.START_OBJECT ? "an object" : "an array") : p.getText();
            throw bad(line, field, "must be a number, got " + got);
        }
        double v = p.getDoubleValue();
        if (!Double.isFinite(v)) {
            throw bad(line, field, "must be a finite number, got " + shorten(p.getText()));
        }
        if (positive && v <= 0) {
            throw bad(line, field, "must be > 0, got " + shorten(p.getText()));
        }
        return v;
    }

    private IllegalArgumentException bad(long line, String field, String problem) {
        return bad(line, "field '" + field + "' " + problem);
    }

    /** An error on one line; whitespace is collapsed, as text quoted from the input may hold line breaks. */
    private IllegalArgumentException bad(long line, String problem) {
        return new IllegalArgumentException(file + ", line " + line + ": " + problem.replaceAll("\\s+", " "));
    }

    /** Input text quoted in a message, cut short: a message stays one readable line. */
    private static String shorten(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "…";
    }

    /** Lines of a stream as byte ranges, left undecoded: Jackson reads UTF-8 bytes itself, faster. */
    private static final class Lines {
        private final InputStream in;
        private byte[] buf = new byte[1 << 16];
        private int next;
        private int limit;
        private boolean eof;
        private int start;
        private int end;

        Lines(InputStream in) {
            this.in = in;
        }

        /** Moves to the next line; false at the end of the stream. */
        boolean next() throws IOException {
            int scan = next;
            while (true) {
                for (int i = scan; i < limit; i++) {
                    if (buf[i] == '\n') {
                        take(i, i + 1);
                        return true;
                    }
                }
                if (eof) {
                    if (next < limit) {
                        take(limit, limit);
                        return true;
                    }
                    return false;
                }
                scan = fill();
            }
        }

        /** The current line ends (before any \r) at {@code lineEnd}; the next starts at {@code after}. */
        private void take(int lineEnd, int after) {
            start = next;
            end = lineEnd > start && buf[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
            next = after;
        }

        /** Reads more bytes, keeping the unfinished line; returns where scanning resumes. */
        private int fill() throws IOException {
            int kept = limit - next;
            if (kept == buf.length) {
                buf = Arrays.copyOf(buf, buf.length * 2);
            }
            System.arraycopy(buf, next, buf, 0, kept);
            next = 0;
            limit = kept;
            int n = in.read(buf, limit, buf.length - limit);
            if (n < 0) {
                eof = true;
            } else {
                limit += n;
            }
            return kept;
        }

        boolean isBlank() {
            for (int i = start; i < end; i++) {
                byte b = buf[i];
                if (b != ' ' && b != '\t' && b != '\r') {
                    return false;
                }
            }
            return true;
        }
    }
}
