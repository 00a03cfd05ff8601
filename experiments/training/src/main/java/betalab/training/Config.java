package betalab.training;

import betalab.api.registry.ExtensionPoint;
import betalab.api.registry.Knob;
import betalab.api.registry.Registry;
import betalab.api.registry.Settings;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A resolved config: every knob of the experiment and of each chosen component with its value,
 * defaults included. {@link #toMap()} is what a run records in {@code config.json}, and reading
 * that file back gives the same config: a run replays from its record alone.
 */
public final class Config {
    private final ConfigTree tree;
    private final Settings settings;
    private final Map<String, Choice> components;
    private final Map<String, Settings> sections;

    /** A component chosen by name, with every one of its knobs resolved. */
    public record Choice(String name, Settings settings) {
        /** The resolved knob values, to build the component with. */
        public Map<String, Object> knobs() {
            return settings.asMap();
        }
    }

    Config(ConfigTree tree, Settings settings, Map<String, Choice> components, Map<String, Settings> sections) {
        this.tree = tree;
        this.settings = settings;
        this.components = Map.copyOf(components);
        this.sections = Map.copyOf(sections);
    }

    public <T> T get(Knob<T> knob) {
        return settings.get(knob);
    }

    /** The component chosen in section {@code field}. */
    public Choice component(String field) {
        Choice c = components.get(field);
        if (c == null) {
            throw new IllegalArgumentException("the config has no component section '" + field + "'");
        }
        return c;
    }

    /** The plain section {@code field}. */
    public Settings section(String field) {
        Settings s = sections.get(field);
        if (s == null) {
            throw new IllegalArgumentException("the config has no section '" + field + "'");
        }
        return s;
    }

    /**
     * Builds the component chosen in section {@code field}; a complaint it raises while being built
     * is reported against that section.
     */
    public <T, C> T create(Registry registry, String field, ExtensionPoint<T, C> point, C context) {
        Choice c = component(field);
        try {
            return registry.create(point, c.name(), c.knobs(), context);
        } catch (IllegalArgumentException e) {
            throw tree.error(field, "(" + point.kind() + " '" + c.name() + "'): " + e.getMessage());
        }
    }

    /** This config with {@code knob} set to a value the experiment derived (steps from epochs, say). */
    public <T> Config with(Knob<T> knob, T value) {
        Map<String, Object> values = new LinkedHashMap<>(settings.asMap());
        values.put(knob.name(), value);
        return new Config(tree, Settings.resolve(settings.owner(), knobsOf(), values), components, sections);
    }

    /** This config with section {@code field}'s knob set: a value a component section derived. */
    public Config withSection(String field, String knob, Object value) {
        Map<String, Settings> all = new LinkedHashMap<>(sections);
        Settings s = section(field);
        Map<String, Object> values = new LinkedHashMap<>(s.asMap());
        values.put(knob, value);
        all.put(field, Settings.resolve(s.owner(), knobsOf(s), values));
        return new Config(tree, settings, components, all);
    }

    private java.util.List<Knob<?>> knobsOf() {
        return settings.knobs();
    }

    private static java.util.List<Knob<?>> knobsOf(Settings s) {
        return s.knobs();
    }

    /** A one-line complaint about {@code field}, naming the file and line where known. */
    public IllegalArgumentException error(String field, String problem) {
        return tree.error(field, problem);
    }

    /** The file or other source this config came from, or null. */
    public String source() {
        return tree.source();
    }

    /** The resolved config as {@code config.json} holds it: the knobs, then each section. */
    public Map<String, Object> toMap() {
        Map<String, Object> out = new LinkedHashMap<>(settings.asMap());
        components.forEach((field, c) -> {
            Map<String, Object> section = new LinkedHashMap<>();
            section.put("name", c.name());
            section.putAll(c.knobs());
            out.put(field, section);
        });
        sections.forEach((field, s) -> out.put(field, new LinkedHashMap<>(s.asMap())));
        return out;
    }
}
