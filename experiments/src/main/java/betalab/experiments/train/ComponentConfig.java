package betalab.experiments.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A component chosen by registry name with its knobs, written flat in a config:
 * {@code loss: {name: cdpo, epsilon: 0.1}}. The registry checks the knobs when it builds it.
 */
public record ComponentConfig(String name, Map<String, Object> knobs) {

    public ComponentConfig {
        knobs = Map.copyOf(knobs);
    }

    public static ComponentConfig of(String name) {
        return new ComponentConfig(name, Map.of());
    }

    @JsonCreator
    static ComponentConfig fromMap(Map<String, Object> fields) {
        Map<String, Object> knobs = new LinkedHashMap<>(fields);
        Object name = knobs.remove("name");
        if (!(name instanceof String s) || s.isBlank()) {
            throw new IllegalArgumentException("missing field 'name'");
        }
        return new ComponentConfig(s, knobs);
    }

    @JsonValue
    Map<String, Object> toMap() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", name);
        out.putAll(new java.util.TreeMap<>(knobs));
        return out;
    }
}
