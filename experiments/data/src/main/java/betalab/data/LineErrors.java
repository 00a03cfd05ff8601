package betalab.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Problems on one line of a JSON Lines file, worded the same way by every reader: the file, the
 * line, the field, and what was expected — on one line.
 */
public final class LineErrors {
    private final Path file;

    public LineErrors(Path file) {
        this.file = file;
    }

    /** An error on one line; whitespace is collapsed, as text quoted from the input may hold line breaks. */
    public IllegalArgumentException at(long line, String problem) {
        return new IllegalArgumentException(file + ", line " + line + ": " + problem.replaceAll("\\s+", " "));
    }

    public IllegalArgumentException at(long line, String field, String problem) {
        return at(line, "field '" + shorten(field) + "' " + problem);
    }

    /** Jackson's own message, less its note on where an unclosed object began (always column 1). */
    public IllegalArgumentException malformed(long line, String field, JsonProcessingException e) {
        String where = field == null ? "" : " in field '" + shorten(field) + "'";
        return at(line, "malformed JSON" + where + " at column " + e.getLocation().getColumnNr() + ": "
                + e.getOriginalMessage().replaceAll(" \\(start marker at .*", ""));
    }

    /** The parser's current value as a finite number, and &gt; 0 where {@code positive}. */
    public double number(JsonParser p, long line, String field, boolean positive) throws IOException {
        return number(p, line, field, positive, false);
    }

    /**
     * As {@link #number(JsonParser, long, String, boolean)}; where {@code float32}, the value must
     * also stay finite when rounded to float32 (at most 3.4028235e38 in size), for a number computed
     * with in float32 or whose gradient reaches float32 parameters: 1e39 is finite in double only.
     */
    public double number(JsonParser p, long line, String field, boolean positive, boolean float32)
            throws IOException {
        JsonToken t = p.currentToken();
        if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
            throw at(line, field, "must be a number, got " + describe(p));
        }
        double v = p.getDoubleValue();
        if (!Double.isFinite(v)) {
            throw at(line, field, "must be a finite number, got " + shorten(p.getText()));
        }
        if (float32 && !Float.isFinite((float) v)) {
            throw at(line, field, "must be finite in float32 (at most " + Float.MAX_VALUE + " in size), got "
                    + shorten(p.getText()));
        }
        if (positive && v <= 0) {
            throw at(line, field, "must be > 0, got " + shorten(p.getText()));
        }
        return v;
    }

    /** A JSON value as an error message quotes it: text in quotes and cut short, structures by kind. */
    public static String describe(JsonParser p) throws IOException {
        return switch (p.currentToken()) {
            case VALUE_STRING -> "\"" + shorten(p.getText()) + "\"";
            case START_OBJECT -> "an object";
            case START_ARRAY -> "a list";
            default -> shorten(p.getText());
        };
    }

    /** Input text quoted in a message, cut short: a message stays one readable line. */
    public static String shorten(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "…";
    }
}
