package betalab.data;

import betalab.training.RunFiles;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Preference pairs in JSON Lines, one object per line, read in chunks so a file of any length
 * needs memory for one chunk only. Every line is checked; an error names the file, the line and
 * the field. Blank lines are errors: output line k answers input line k, and a skipped line would
 * silently shift that.
 *
 * <p>The numbers are computed with in float64, where any finite value is fine (a result that
 * overflows is refused where it appears, naming its line); only a fitted β scheme's inputs, the
 * prompt features, are float32, and must be finite there.
 */
final class PairFile {
    static final int POLICY_CHOSEN = 0;
    static final int POLICY_REJECTED = 1;
    static final int REF_CHOSEN = 2;
    static final int REF_REJECTED = 3;
    static final int CHOSEN_LENGTH = 4;
    static final int REJECTED_LENGTH = 5;
    static final int BETA = 6;
    static final int WEIGHT = 7;
    static final int PROMPT_LOGPS = 8;
    static final int PROMPT_LENGTH = 9;

    /**
     * Field names by column; the first {@link #REQUIRED} are required; lengths and β must be &gt; 0,
     * a weight ≥ 0.
     */
    static final String[] FIELDS = {"policy_chosen_logps", "policy_rejected_logps", "ref_chosen_logps",
            "ref_rejected_logps", "chosen_length", "rejected_length", "beta", "weight", "prompt_logps",
            "prompt_length"};
    private static final int REQUIRED = 4;

    /**
     * What a fitted β scheme reads besides the four log-probabilities, which every line must then
     * carry: the prompt's features (a field of {@code featureDim} numbers), both completion lengths,
     * the prompt's log-probability and length. {@code reader} names the scheme in messages. β then
     * comes from the scheme, so a line may not give its own.
     */
    record Needs(String reader, String featureField, int featureDim, boolean lengths, boolean prompt) {
    }

    /** Consecutive pairs: row i is the line {@code firstLine + i}; column j holds {@code FIELDS[j]}. */
    static final class Chunk {
        private final double[][] columns;
        private final double[] features;
        private final int featureDim;
        private int size;
        private long firstLine = 1;
        /** The first line that gave a weight, 0 while none has; and the sum of the weights read. */
        private long firstWeighted;
        private double weightSum;

        private Chunk(int capacity, int featureDim) {
            columns = new double[FIELDS.length][capacity];
            this.featureDim = featureDim;
            features = new double[capacity * featureDim];
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

        /** Rows {@code from} (inclusive) to {@code to} of column j. */
        double[] column(int j, int from, int to) {
            return Arrays.copyOfRange(columns[j], from, to);
        }

        /** The features of rows {@code from} to {@code to}, row-major, {@link #featureDim} numbers a row. */
        double[] features(int from, int to) {
            return Arrays.copyOfRange(features, from * featureDim, to * featureDim);
        }

        double get(int j, int row) {
            return columns[j][row];
        }

        /** The first line (of the file so far) that gave a weight field; 0 when none did. */
        long firstWeighted() {
            return firstWeighted;
        }

        /** The sum of the weights of every line read so far (1 for a line without one). */
        double weightSum() {
            return weightSum;
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
    private final Needs needs;
    /** The fields a line is read for, by column; the feature field, if any, comes last. */
    private final List<String> known = new ArrayList<>();
    /** Where the feature field is in {@link #known}; -1 for none. */
    private final int featureIndex;

    /** {@code defaultBeta} is the β of pairs without a beta field. */
    PairFile(Path file, double defaultBeta) {
        this(file, defaultBeta, null);
    }

    /** Pairs for a fitted β scheme that reads what {@code needs} says (null: none, a plain read). */
    PairFile(Path file, double defaultBeta, Needs needs) {
        this.file = file;
        this.errors = new LineErrors(file);
        this.defaultBeta = defaultBeta;
        this.needs = needs;
        // The prompt columns are read only for a scheme that reads them: elsewhere they are other fields, ignored.
        known.addAll(List.of(FIELDS).subList(0, needs != null && needs.prompt() ? FIELDS.length : PROMPT_LOGPS));
        if (needs != null && needs.featureField() != null) {
            known.add(needs.featureField());
        }
        featureIndex = needs != null && needs.featureField() != null ? known.size() - 1 : -1;
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
            Chunk chunk = new Chunk(chunkSize, needs == null || needs.featureField() == null ? 0 : needs.featureDim());
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
            throw new UncheckedIOException("cannot read " + file + ": " + RunFiles.reason(e), e);
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
        c[WEIGHT][row] = 1;
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
                int j = known.indexOf(field);
                if (j < 0) {
                    p.skipChildren();
                } else if ((seen & 1 << j) != 0) {
                    throw errors.at(line, field, "appears twice");
                } else if (j == featureIndex) {
                    seen |= 1 << j;
                    features(p, line, field, chunk, row);
                } else if (p.currentToken() != JsonToken.VALUE_NULL || j < REQUIRED) {
                    // null counts as absent in the optional fields
                    seen |= 1 << j;
                    if (j == BETA && needs != null) {
                        throw errors.at(line, field, "is given, but β comes from " + needs.reader()
                                + " here; drop the field, or leave the fitted β out");
                    }
                    c[j][row] = errors.number(p, line, field, j >= REQUIRED && j != PROMPT_LOGPS && j != WEIGHT);
                    if (j == WEIGHT && c[j][row] < 0) {
                        throw errors.at(line, field, "must be ≥ 0, got " + LineErrors.shorten(p.getText()));
                    }
                    if (j == WEIGHT && chunk.firstWeighted == 0) {
                        chunk.firstWeighted = line;
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
        chunk.weightSum += c[WEIGHT][row];
        if (needs != null) {
            List<Integer> needed = new ArrayList<>();
            if (needs.lengths()) {
                needed.addAll(List.of(CHOSEN_LENGTH, REJECTED_LENGTH));
            }
            if (needs.prompt()) {
                needed.addAll(List.of(PROMPT_LOGPS, PROMPT_LENGTH));
            }
            for (int j : needed) {
                if ((seen & 1 << j) == 0) {
                    throw errors.at(line, FIELDS[j], "is missing; " + needs.reader() + " was fitted on data that gave it");
                }
            }
            if (needs.featureField() != null && (seen & 1 << featureIndex) == 0) {
                throw errors.at(line, needs.featureField(), "is missing (the prompt's feature vector, which "
                        + needs.reader() + " reads)");
            }
        }
    }

    /** The prompt's features, float32 as the β scheme reads them, exactly as many as it was fitted on. */
    private void features(JsonParser p, long line, String field, Chunk chunk, int row) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw errors.at(line, field, "must be a list of numbers (the prompt's features), got "
                    + LineErrors.describe(p));
        }
        int width = chunk.featureDim;
        int n = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            double v = errors.number(p, line, field + "[" + n + "]", false, true);
            if (n < width) {
                chunk.features[row * width + n] = v;
            }
            n++;
        }
        if (n != width) {
            throw errors.at(line, field, "has " + n + " numbers, but " + needs.reader() + " reads " + width);
        }
    }
}
