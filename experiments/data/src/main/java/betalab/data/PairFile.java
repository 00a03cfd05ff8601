package betalab.data;

import betalab.data.JsonLines;
import betalab.data.LineErrors;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
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
    private final LineErrors errors;
    private final double defaultBeta;

    /** {@code defaultBeta} is the β of pairs without a beta field. */
    PairFile(Path file, double defaultBeta) {
        this.file = file;
        this.errors = new LineErrors(file);
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
            JsonLines lines = new JsonLines(in);
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

    private void parse(JsonLines lines, long line, Chunk chunk, int row) throws IOException {
        if (lines.isBlank()) {
            throw errors.at(line, "blank line (every line must hold one pair)");
        }
        double[][] c = chunk.columns;
        c[CHOSEN_LENGTH][row] = 1;
        c[REJECTED_LENGTH][row] = 1;
        c[BETA][row] = defaultBeta;
        int seen = 0;
        String field = null;
        try (JsonParser p = lines.parser()) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw errors.at(line, "expected a JSON object");
            }
            // Inside an object Jackson returns a field name or the object's end, or throws.
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                field = p.currentName();
                p.nextToken();
                int j = FIELD_LIST.indexOf(field);
                if (j < 0) {
                    p.skipChildren();
                } else if ((seen & 1 << j) != 0) {
                    throw errors.at(line, field, "appears twice");
                } else {
                    seen |= 1 << j;
                    if (p.currentToken() != JsonToken.VALUE_NULL || j < REQUIRED) {
                        c[j][row] = errors.number(p, line, field, j >= REQUIRED);
                    }
                }
                field = null;
            }
            if (p.nextToken() != null) {
                throw errors.at(line, "more than one JSON value on the line");
            }
        } catch (JsonProcessingException e) {
            throw errors.malformed(line, field, e);
        }
        for (int j = 0; j < REQUIRED; j++) {
            if ((seen & 1 << j) == 0) {
                throw errors.at(line, FIELDS[j], "is missing");
            }
        }
    }
}
