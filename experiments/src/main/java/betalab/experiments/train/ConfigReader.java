package betalab.experiments.train;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads configs ({@link TrainConfig} and the others) from YAML ({@code .yaml}, {@code .yml}) or
 * JSON. Every failure is one line naming the file, the line where known, and the field: a syntax
 * error, an unknown field, a value of the wrong type, a missing required field or a value out of range.
 */
public final class ConfigReader {
    private ConfigReader() {
    }

    public static TrainConfig read(Path file) {
        return read(file, TrainConfig.class);
    }

    /** A config of any type, read with the same strictness and the same one-line errors. */
    public static <T> T read(Path file, Class<T> type) {
        ObjectMapper mapper = mapper(file)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        try {
            T config = mapper.readValue(Files.readString(file), type);
            if (config == null) {
                throw new IllegalArgumentException(file + ": the file is empty");
            }
            return config;
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + where(e) + ": " + explain(e));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage());
        }
    }

    private static ObjectMapper mapper(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".yaml") || name.endsWith(".yml") ? new ObjectMapper(new YAMLFactory())
                : new ObjectMapper();
    }

    private static String where(JsonProcessingException e) {
        // A YAML syntax error names the offending line in its text, more precisely than its location.
        Matcher named = Pattern.compile("line (\\d+), column").matcher(e.getOriginalMessage());
        String lastNamed = null;
        while (named.find()) {
            lastNamed = named.group(1);
        }
        JsonLocation at = e.getLocation();
        String line = lastNamed != null ? ":" + lastNamed : at == null || at.getLineNr() < 1 ? "" : ":" + at.getLineNr();
        String field = e instanceof JsonMappingException m && !m.getPath().isEmpty()
                ? ": field '" + m.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName()
                        : "[" + r.getIndex() + "]").collect(Collectors.joining(".")).replace(".[", "[") + "'"
                : "";
        return line + field;
    }

    /** The cause's own words: our checks say what was wrong; Jackson's messages get one line. */
    private static String explain(JsonProcessingException e) {
        if (e instanceof UnrecognizedPropertyException u) {
            return "unknown field '" + u.getPropertyName() + "'; known: " + u.getKnownPropertyIds().stream()
                    .map(Object::toString).sorted().collect(Collectors.joining(", "));
        }
        Throwable cause = e.getCause();
        if (cause instanceof IllegalArgumentException) {
            return cause.getMessage();
        }
        // Keep the sentences; drop the parser's indented excerpts of the file.
        return e.getOriginalMessage().lines().filter(l -> !l.isBlank() && !l.startsWith(" "))
                .collect(Collectors.joining("; "));
    }
}
