package betalab.training;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A config as read from YAML or JSON: nested maps, lists and scalars, with the line each field
 * was written on, so that any complaint about a field names the file, the line and the field.
 */
public final class ConfigTree {
    private final String source;
    private final Map<String, Object> root;
    private final Map<String, Integer> lines;
    private final Function<String, String> naming;

    private ConfigTree(String source, Map<String, Object> root, Map<String, Integer> lines,
                       Function<String, String> naming) {
        this.source = source;
        this.root = root;
        this.lines = lines;
        this.naming = naming;
    }

    /** A tree given as maps (a sweep's run, a config in memory); {@code source} names it in errors, or null. */
    public static ConfigTree of(Map<String, ?> root, String source) {
        return new ConfigTree(source, deepCopy(root), Map.of(), field -> "field '" + field + "'");
    }

    /**
     * A tree made from command-line options: errors name a field as {@code optionOf} says (the
     * option it came from, "--epochs"), and no file.
     */
    public static ConfigTree fromOptions(Map<String, ?> root, Function<String, String> optionOf) {
        return new ConfigTree(null, deepCopy(root), Map.of(), optionOf);
    }

    /** Reads {@code file}: YAML for .yaml and .yml, JSON otherwise. */
    public static ConfigTree read(Path file) {
        String name = file.getFileName().toString();
        JsonFactory factory = name.endsWith(".yaml") || name.endsWith(".yml") ? new YAMLFactory() : new JsonFactory();
        Map<String, Integer> lines = new HashMap<>();
        try (JsonParser parser = factory.createParser(Files.readString(file))) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new IllegalArgumentException(file + ": the file is empty");
            }
            if (first != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException(file + ":" + parser.currentTokenLocation().getLineNr()
                        + ": expected a map of fields, got " + first.asString());
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> root = (Map<String, Object>) value(parser, "", lines, file);
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException(file + ":" + parser.currentTokenLocation().getLineNr()
                        + ": unexpected content after the config");
            }
            return new ConfigTree(file.toString(), root, lines, field -> "field '" + field + "'");
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ":" + line(e) + ": " + e.getOriginalMessage().lines()
                    .filter(l -> !l.isBlank() && !l.startsWith(" ")).reduce((a, b) -> a + "; " + b).orElse("syntax error"));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage());
        }
    }

    private static Object value(JsonParser p, String path, Map<String, Integer> lines, Path file) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> map = new LinkedHashMap<>();
                while (p.nextToken() != JsonToken.END_OBJECT) {
                    String field = p.currentName();
                    String at = path.isEmpty() ? field : path + "." + field;
                    int line = p.currentTokenLocation().getLineNr();
                    if (map.containsKey(field)) {
                        throw new IllegalArgumentException(file + ":" + line + ": field '" + at + "' is given twice");
                    }
                    lines.put(at, line);
                    p.nextToken();
                    map.put(field, value(p, at, lines, file));
                }
                return map;
            }
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    list.add(value(p, path + "[" + list.size() + "]", lines, file));
                }
                return list;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT -> {
                return p.getNumberValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                return real(p);
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return p.getBooleanValue();
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> throw new JsonParseException(p, "unexpected " + t);
        }
    }

    /** A real number; YAML's .inf, -.inf and .nan as the doubles they name, for the knob to judge. */
    private static Object real(JsonParser p) throws IOException {
        try {
            return p.getDoubleValue();
        } catch (JsonProcessingException e) {
            String text = p.getText().strip();
            return switch (text.toLowerCase(java.util.Locale.ROOT)) {
                case ".inf", "+.inf" -> Double.POSITIVE_INFINITY;
                case "-.inf" -> Double.NEGATIVE_INFINITY;
                case ".nan" -> Double.NaN;
                default -> text;
            };
        }
    }

    private static int line(JsonProcessingException e) {
        // A YAML syntax error names the offending line in its text, more precisely than its location.
        Matcher named = Pattern.compile("line (\\d+), column").matcher(e.getOriginalMessage());
        int line = -1;
        while (named.find()) {
            line = Integer.parseInt(named.group(1));
        }
        return line > 0 ? line : e.getLocation() == null ? 0 : e.getLocation().getLineNr();
    }

    /** The top-level fields. */
    public Map<String, Object> root() {
        return root;
    }

    /** The file, or whatever else the tree came from; null when nothing names it. */
    public String source() {
        return source;
    }

    /** A one-line complaint about {@code field} (a dotted path), naming the file and line where known. */
    public IllegalArgumentException error(String field, String problem) {
        return new IllegalArgumentException(where(field) + naming.apply(field) + " " + problem);
    }

    /** A complaint about the whole config. */
    public IllegalArgumentException error(String problem) {
        return new IllegalArgumentException((source == null ? "" : source + ": ") + problem);
    }

    /** "file:line: " for {@code field}, as much of it as is known. */
    private String where(String field) {
        if (source == null) {
            return "";
        }
        Integer line = null;
        for (String at = field; line == null && !at.isEmpty(); at = parent(at)) {
            line = lines.get(at);
        }
        return line == null ? source + ": " : source + ":" + line + ": ";
    }

    private static String parent(String path) {
        int dot = path.lastIndexOf('.');
        return dot < 0 ? "" : path.substring(0, dot);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deepCopy(Map<String, ?> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(k, v instanceof Map<?, ?> m ? deepCopy((Map<String, ?>) m) : v));
        return out;
    }
}
