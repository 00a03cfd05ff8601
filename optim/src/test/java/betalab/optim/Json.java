package betalab.optim;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the golden file: objects, arrays, numbers, plain strings and literals. (api's test Json
 * cannot be used here: its test-jar would be the automatic module "betalab.api" again.)
 */
final class Json {
    private final String s;
    private int i;

    private Json(String s) {
        this.s = s;
    }

    static Map<String, Object> resource(String path) {
        try (InputStream in = Json.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource " + path);
            }
            return map(new Json(new String(in.readAllBytes(), StandardCharsets.UTF_8)).value());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    static double[] doubles(Object array) {
        return list(array).stream().mapToDouble(x -> ((Number) x).doubleValue()).toArray();
    }

    private Object value() {
        space();
        char c = s.charAt(i);
        if (c == '{') {
            Map<String, Object> m = new LinkedHashMap<>();
            for (boolean more = next('{', '}'); more; more = next(',', '}')) {
                String key = (String) value();
                space();
                i++; // ':'
                m.put(key, value());
            }
            return m;
        }
        if (c == '[') {
            List<Object> l = new ArrayList<>();
            for (boolean more = next('[', ']'); more; more = next(',', ']')) {
                l.add(value());
            }
            return l;
        }
        if (c == '"') {
            int end = s.indexOf('"', i + 1);
            String text = s.substring(i + 1, end);
            i = end + 1;
            return text;
        }
        for (String literal : new String[] {"true", "false", "null"}) {
            if (s.startsWith(literal, i)) {
                i += literal.length();
                return literal.equals("null") ? null : Boolean.valueOf(literal);
            }
        }
        int start = i;
        while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
            i++;
        }
        return Double.parseDouble(s.substring(start, i));
    }

    /** Consumes {@code open} (or a separator) and tells whether an element follows before {@code close}. */
    private boolean next(char open, char close) {
        space();
        if (s.charAt(i) == close) {
            i++;
            return false;
        }
        if (s.charAt(i) != open) {
            throw new IllegalArgumentException("expected '" + open + "' or '" + close + "' at " + i);
        }
        i++;
        space();
        if (s.charAt(i) == close) {
            i++;
            return false;
        }
        return true;
    }

    private void space() {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
    }
}
