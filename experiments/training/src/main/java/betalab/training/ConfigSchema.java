package betalab.training;

import betalab.api.registry.ExtensionPoint;
import betalab.api.registry.Knob;
import betalab.api.registry.Registry;
import betalab.api.registry.Settings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a kind of experiment's config holds, declared once: its own knobs (seed, steps, …), sections
 * that choose a component of an extension point by name ({@code loss: {name: cdpo, epsilon: 0.1}}),
 * and sections of plain knobs ({@code reference_sync: {mode: soft}}). Components, configs and
 * command-line options all declare their settings as {@link Knob}s; this resolves a config file
 * against them, every default filled in, and says exactly where a value does not fit.
 */
public final class ConfigSchema {
    private final List<Knob<?>> knobs;
    private final List<Section> sections;
    private final Map<String, String> moved;

    /** A section of the config. */
    public sealed interface Section permits ComponentSection, KnobSection {
        String field();
    }

    /**
     * A component chosen by name from {@code point}; {@code defaultName} (null: the section is
     * required) with {@code defaultKnobs} when the config leaves the section out or names the default.
     */
    public record ComponentSection(String field, ExtensionPoint<?, ?> point, String defaultName,
                                   Map<String, Object> defaultKnobs) implements Section {
    }

    /** A section of plain knobs. */
    public record KnobSection(String field, List<Knob<?>> knobs) implements Section {
    }

    private ConfigSchema(List<Knob<?>> knobs, List<Section> sections, Map<String, String> moved) {
        this.knobs = List.copyOf(knobs);
        this.sections = List.copyOf(sections);
        this.moved = Map.copyOf(moved);
    }

    public static ConfigSchema of(List<? extends Knob<?>> knobs) {
        return new ConfigSchema(List.copyOf(knobs), List.of(), Map.of());
    }

    /** Adds a required component section. */
    public ConfigSchema component(String field, ExtensionPoint<?, ?> point) {
        return with(new ComponentSection(field, point, null, Map.of()));
    }

    /** Adds a component section with a default choice. */
    public ConfigSchema component(String field, ExtensionPoint<?, ?> point, String defaultName,
                                  Map<String, ?> defaultKnobs) {
        return with(new ComponentSection(field, point, defaultName, Map.copyOf(defaultKnobs)));
    }

    public ConfigSchema section(String field, List<? extends Knob<?>> sectionKnobs) {
        return with(new KnobSection(field, List.copyOf(sectionKnobs)));
    }

    /** A field that configs no longer take, with a hint saying what took its place. */
    public ConfigSchema moved(String field, String hint) {
        Map<String, String> all = new LinkedHashMap<>(moved);
        all.put(field, hint);
        return new ConfigSchema(knobs, sections, all);
    }

    private ConfigSchema with(Section section) {
        List<Section> all = new ArrayList<>(sections);
        all.add(section);
        return new ConfigSchema(knobs, all, moved);
    }

    public List<Knob<?>> knobs() {
        return knobs;
    }

    public List<Section> sections() {
        return sections;
    }

    /** {@code tree} resolved: every field checked, every default filled in. Fails on the first misfit. */
    public Config resolve(ConfigTree tree, Registry registry) {
        Map<String, Object> root = tree.root();
        List<String> known = new ArrayList<>();
        knobs.forEach(k -> known.add(k.name()));
        sections.forEach(s -> known.add(s.field()));
        Map<String, Object> own = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : root.entrySet()) {
            String field = e.getKey();
            if (moved.containsKey(field)) {
                throw tree.error(field, "is no longer read: " + moved.get(field));
            }
            if (!known.contains(field)) {
                throw tree.error(field, "is unknown; known: " + String.join(", ", known.stream().sorted().toList()));
            }
            if (knobs.stream().anyMatch(k -> k.name().equals(field))) {
                own.put(field, e.getValue());
            }
        }
        Settings settings = settings(tree, "", "config", knobs, own);
        Map<String, Config.Choice> components = new LinkedHashMap<>();
        Map<String, Settings> plain = new LinkedHashMap<>();
        for (Section section : sections) {
            Object value = root.get(section.field());
            if (value != null && !(value instanceof Map<?, ?>)) {
                throw tree.error(section.field(), "must be a map of fields, got " + value);
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> given = value == null ? null : new LinkedHashMap<>((Map<String, Object>) value);
            if (section instanceof ComponentSection c) {
                components.put(c.field(), choose(tree, registry, c, given));
            } else if (section instanceof KnobSection k) {
                plain.put(k.field(), settings(tree, k.field() + ".", k.field(), k.knobs(),
                        given == null ? Map.of() : given));
            }
        }
        return new Config(tree, settings, components, plain);
    }

    private static Config.Choice choose(ConfigTree tree, Registry registry, ComponentSection c,
                                        Map<String, Object> given) {
        Map<String, Object> knobValues = new LinkedHashMap<>();
        String name;
        if (given == null) {
            if (c.defaultName() == null) {
                throw tree.error("missing field '" + c.field() + "' (a " + c.point().kind() + " by name, e.g. "
                        + c.field() + ": {name: …})");
            }
            name = c.defaultName();
        } else {
            Object n = given.remove("name");
            if (!(n instanceof String s) || s.isBlank()) {
                throw tree.error(c.field() + ".name", n == null ? "is missing: name the " + c.point().kind()
                        : "must be a name, got " + n);
            }
            name = s;
            knobValues.putAll(given);
        }
        if (name.equals(c.defaultName())) {
            c.defaultKnobs().forEach(knobValues::putIfAbsent);
        }
        try {
            registry.provider(c.point(), name);
        } catch (IllegalArgumentException e) {
            throw tree.error(c.field() + ".name", "names " + e.getMessage());
        }
        try {
            return new Config.Choice(name, registry.resolve(c.point(), name, knobValues));
        } catch (Settings.Invalid e) {
            throw tree.error(c.field() + "." + e.knob(), e.problem());
        }
    }

    private static Settings settings(ConfigTree tree, String prefix, String owner, List<Knob<?>> knobs,
                                     Map<String, ?> values) {
        try {
            return Settings.resolve(owner, knobs, values);
        } catch (Settings.Invalid e) {
            throw tree.error(prefix + e.knob(), e.problem());
        }
    }
}
