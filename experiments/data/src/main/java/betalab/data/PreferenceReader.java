package betalab.data;

import betalab.data.PreferenceRecord.Column;
import betalab.training.RunFiles;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Reads preference pairs from a JSON Lines file in one of the {@link DataFormat}s, streaming: one
 * line in memory at a time. Every line is checked and the first bad one stops the read with one
 * line naming the file, the line, the field and what was expected: malformed JSON, a missing field,
 * a value of the wrong type, a non-finite number, a number beyond float32's range (the features are
 * float32, and the log-probabilities, computed in float64, send their gradient into β's float32
 * parameters; a model's log-probability never lies beyond it), a length that is not positive, a feature vector
 * whose width differs from the first line's, a negative weight, and a pair whose chosen and rejected texts are the
 * same (it prefers nothing: h ≡ 0 under any policy), unless such pairs are to be skipped. Blank
 * lines are errors, so that line numbers always mean lines of the file. Fields the format does not
 * name are ignored.
 */
public final class PreferenceReader {
    private static final String ASSISTANT = "\n\nAssistant:";

    /** How a read went. {@code featureDim} is the width of the feature vectors, 0 when none were read. */
    public record Stats(long pairs, long skippedIdentical, int featureDim) {
    }

    private final Path file;
    private final LineErrors errors;
    private final DataFormat format;
    private final String featureField;
    private final Set<Column> required;
    private final boolean skipIdentical;
    private final List<String> known = new ArrayList<>();

    /**
     * @param featureField  the field holding each prompt's feature vector, or null to read none
     * @param required      the columns every line must hold
     * @param skipIdentical skip (and count) pairs whose chosen and rejected texts are the same, instead of failing
     */
    public PreferenceReader(Path file, DataFormat format, String featureField, Set<Column> required,
                            boolean skipIdentical) {
        this.file = file;
        this.errors = new LineErrors(file);
        this.format = format;
        this.featureField = featureField;
        this.required = Set.copyOf(required);
        this.skipIdentical = skipIdentical;
        known.addAll(format.textFields());
        Arrays.stream(Column.values()).map(Column::field).forEach(known::add);
        if (featureField != null) {
            if (known.contains(featureField)) {
                throw new IllegalArgumentException("the feature field cannot be '" + featureField
                        + "', which holds something else");
            }
            known.add(featureField);
        }
    }

    public Path file() {
        return file;
    }

    /**
     * Hands every pair, in file order, to {@code sink}.
     *
     * @throws IllegalArgumentException on the first bad line, or if the file holds no pairs
     * @throws UncheckedIOException     if the file cannot be read
     */
    public Stats read(Consumer<PreferenceRecord> sink) {
        try (InputStream in = Files.newInputStream(file)) {
            JsonLines lines = new JsonLines(in);
            long pairs = 0;
            long skipped = 0;
            int width = -1;
            long widthLine = 0;
            while (lines.next()) {
                PreferenceRecord r = parse(lines);
                if (r.features() != null && width < 0) {
                    width = r.features().length;
                    widthLine = r.line();
                } else if (r.features() != null && r.features().length != width) {
                    throw errors.at(r.line(), featureField, "has " + r.features().length + " numbers, expected " + width
                            + " as on line " + widthLine);
                }
                if (r.chosen().equals(r.rejected())) {
                    if (!skipIdentical) {
                        throw errors.at(r.line(), "fields 'chosen' and 'rejected' hold the same completion, a pair that "
                                + "prefers nothing (h = 0 under any policy); set skip_identical to skip such pairs");
                    }
                    skipped++;
                    continue;
                }
                pairs++;
                sink.accept(r);
            }
            if (lines.number() == 0) {
                throw new IllegalArgumentException(file + ": no pairs, the file is empty");
            }
            if (pairs == 0) {
                throw new IllegalArgumentException(file + ": no pairs, every one of its " + skipped
                        + " lines has the same chosen and rejected completion");
            }
            return new Stats(pairs, skipped, Math.max(width, 0));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + RunFiles.reason(e), e);
        }
    }

    private PreferenceRecord parse(JsonLines lines) throws IOException {
        long line = lines.number();
        if (lines.isBlank()) {
            throw errors.at(line, "blank line (every line must hold one pair)");
        }
        String[] texts = new String[known.size()];
        double[] values = new double[Column.values().length];
        Arrays.fill(values, Double.NaN);
        double[] features = null;
        boolean[] seen = new boolean[known.size()];
        String field = null;
        try (JsonParser p = lines.parser()) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw errors.at(line, "expected a JSON object");
            }
            // Inside an object Jackson returns a field name or the object's end, or throws.
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                field = p.currentName();
                p.nextToken();
                int k = known.indexOf(field);
                if (k < 0) {
                    p.skipChildren();
                } else if (seen[k]) {
                    throw errors.at(line, field, "appears twice");
                } else {
                    seen[k] = true;
                    Column column = Column.named(field);
                    if (k < format.textFields().size()) {
                        texts[k] = text(p, line, field);
                    } else if (column != null) {
                        if (p.currentToken() != JsonToken.VALUE_NULL) {
                            values[column.ordinal()] = errors.number(p, line, field, column.isLength(), true);
                            if (column == Column.WEIGHT && values[column.ordinal()] < 0) {
                                throw errors.at(line, field, "must be ≥ 0, got " + LineErrors.shorten(p.getText()));
                            }
                        }
                    } else {
                        features = vector(p, line, field);
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
        for (int k = 0; k < format.textFields().size(); k++) {
            if (texts[k] == null) {
                throw errors.at(line, format.textFields().get(k), "is missing (format " + format.label() + ")");
            }
        }
        for (Column c : required) {
            if (Double.isNaN(values[c.ordinal()])) {
                throw errors.at(line, c.field(), "is missing");
            }
        }
        for (Column c : Column.values()) {
            if (c.partner() != null && !Double.isNaN(values[c.ordinal()]) && Double.isNaN(values[c.partner().ordinal()])) {
                throw errors.at(line, c.partner().field(), "is missing; it goes with '" + c.field() + "', which is given");
            }
        }
        if (featureField != null && features == null) {
            throw errors.at(line, featureField, "is missing (the prompt's feature vector)");
        }
        if (format == DataFormat.HH) {
            String prompt = hhPrompt(texts[0], line, "chosen");
            if (!prompt.equals(hhPrompt(texts[1], line, "rejected"))) {
                throw errors.at(line, "fields 'chosen' and 'rejected' must be the same dialogue up to their last "
                        + "\"\\n\\nAssistant:\"; they differ before it");
            }
            return new PreferenceRecord(line, prompt, texts[0].substring(prompt.length()),
                    texts[1].substring(prompt.length()), values, features);
        }
        return new PreferenceRecord(line, texts[0], texts[1], texts[2], values, features);
    }

    /** The dialogue up to and including its last "\n\nAssistant:". */
    private String hhPrompt(String dialogue, long line, String field) {
        int cut = dialogue.lastIndexOf(ASSISTANT);
        if (cut < 0) {
            throw errors.at(line, field, "has no \"\\n\\nAssistant:\" turn (format hh holds Human/Assistant dialogues)");
        }
        return dialogue.substring(0, cut + ASSISTANT.length());
    }

    /** A text field: a string, or for the conversational format a list of messages, one a line as "role: content". */
    private String text(JsonParser p, long line, String field) throws IOException {
        JsonToken t = p.currentToken();
        if (format != DataFormat.CONVERSATIONAL) {
            if (t != JsonToken.VALUE_STRING) {
                throw errors.at(line, field, "must be text, got " + LineErrors.describe(p)
                        + (t == JsonToken.START_ARRAY ? " (for lists of messages use format conversational)" : ""));
            }
            return p.getText();
        }
        if (t != JsonToken.START_ARRAY) {
            throw errors.at(line, field, "must be a list of {\"role\", \"content\"} messages, got " + LineErrors.describe(p)
                    + (t == JsonToken.VALUE_STRING ? " (for plain text use format trl)" : ""));
        }
        StringBuilder text = new StringBuilder();
        int i = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            String at = field + "[" + i + "]";
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw errors.at(line, at, "must be a {\"role\", \"content\"} message, got " + LineErrors.describe(p));
            }
            String role = null;
            String content = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals("role") || name.equals("content")) {
                    if (p.currentToken() != JsonToken.VALUE_STRING) {
                        throw errors.at(line, at + "." + name, "must be text, got " + LineErrors.describe(p));
                    }
                    if (name.equals("role")) {
                        role = p.getText();
                    } else {
                        content = p.getText();
                    }
                } else {
                    p.skipChildren();
                }
            }
            if (role == null || content == null) {
                throw errors.at(line, at + "." + (role == null ? "role" : "content"), "is missing");
            }
            text.append(i == 0 ? "" : "\n").append(role).append(": ").append(content);
            i++;
        }
        if (i == 0) {
            throw errors.at(line, field, "is an empty list of messages");
        }
        return text.toString();
    }

    private double[] vector(JsonParser p, long line, String field) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw errors.at(line, field, "must be a list of numbers (the prompt's features), got " + LineErrors.describe(p));
        }
        double[] v = new double[16];
        int n = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (n == v.length) {
                v = Arrays.copyOf(v, 2 * n);
            }
            v[n] = errors.number(p, line, field + "[" + n + "]", false, true);
            n++;
        }
        if (n == 0) {
            throw errors.at(line, field, "is an empty list; the prompt's features need at least one number");
        }
        return Arrays.copyOf(v, n);
    }
}
