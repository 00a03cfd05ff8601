package betalab.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * The lines of a JSON Lines stream as byte ranges, left undecoded (Jackson reads UTF-8 bytes
 * itself, faster), each parsed on its own: memory for the longest line only, whatever the file's
 * length. Line numbers count from 1; a trailing \r is dropped.
 */
public final class JsonLines {
    /**
     * NaN and Infinity are parsed, not refused as syntax, so that an error can name the field holding
     * them; the fast parser gives the same doubles as Double.parseDouble, a few times faster.
     */
    public static final JsonFactory JSON = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER).build();

    private final InputStream in;
    private byte[] buf = new byte[1 << 16];
    private int next;
    private int limit;
    private boolean eof;
    private int start;
    private int end;
    private long number;

    public JsonLines(InputStream in) {
        this.in = in;
    }

    /** Moves to the next line; false at the end of the stream. */
    public boolean next() throws IOException {
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

    /** The current line's number, from 1. */
    public long number() {
        return number;
    }

    /** Whether the current line holds nothing but spaces and tabs. */
    public boolean isBlank() {
        for (int i = start; i < end; i++) {
            if (buf[i] != ' ' && buf[i] != '\t') {
                return false;
            }
        }
        return true;
    }

    /** A parser over the current line alone. */
    public JsonParser parser() throws IOException {
        return JSON.createParser(buf, start, end - start);
    }

    /** The current line ends (before any \r) at {@code lineEnd}; the next starts at {@code after}. */
    private void take(int lineEnd, int after) {
        start = next;
        end = lineEnd > start && buf[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
        next = after;
        number++;
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
}
