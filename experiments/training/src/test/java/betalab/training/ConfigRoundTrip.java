package betalab.training;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.api.registry.ExtensionPoint;
import betalab.api.registry.Registry;
import betalab.api.registry.Settings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The check that a run's record holds every component as it ran: for every extension point and
 * every name bound to it, its defaults resolved, written as config.json writes a section, read back
 * through {@link ConfigTree}, and resolved again, give the same settings; and, for the points a
 * schema has sections for, the same through the whole schema.
 */
final class ConfigRoundTrip {
    private ConfigRoundTrip() {
    }

    /** Checks every component of {@code registry}; returns the "kind name" of each one checked. */
    static List<String> checkEveryComponent(Registry registry, Path scratch) {
        List<String> checked = new ArrayList<>();
        registry.points().forEach((kind, point) -> registry.providers(point).keySet().forEach(name -> {
            Settings defaults = registry.resolve(point, name, Map.of());
            Map<String, Object> section = new LinkedHashMap<>();
            section.put("name", name);
            section.putAll(defaults.asMap());
            Path file = scratch.resolve(kind + "-" + name + ".json");
            RunFiles.writeJson(file, Map.of(kind, section));
            @SuppressWarnings("unchecked")
            Map<String, Object> read = new LinkedHashMap<>(
                    (Map<String, Object>) ConfigTree.read(file).root().get(kind));
            assertThat(read.remove("name")).isEqualTo(name);
            Settings again = registry.resolve(point, name, read);
            assertThat(again.asMap()).as(kind + " '" + name + "'").isEqualTo(defaults.asMap());
            checked.add(kind + " " + name);
        }));
        return checked;
    }

    /**
     * For each component section of {@code schema} and each name its point binds: a config choosing
     * that name (the other sections from {@code base}) resolves, and its record, written and read
     * back, resolves to the same record.
     */
    static List<String> checkSchema(ConfigSchema schema, Map<String, Object> base, Registry registry, Path scratch) {
        List<String> checked = new ArrayList<>();
        for (ConfigSchema.Section s : schema.sections()) {
            if (!(s instanceof ConfigSchema.ComponentSection c)) {
                continue;
            }
            for (String name : registry.providers(c.point()).keySet()) {
                Map<String, Object> tree = new LinkedHashMap<>(base);
                tree.put(c.field(), Map.of("name", name));
                Map<String, Object> record = schema.resolve(ConfigTree.of(tree, null), registry).toMap();
                Path file = scratch.resolve("config-" + c.field() + "-" + name + ".json");
                RunFiles.writeJson(file, record);
                Map<String, Object> again = schema.resolve(ConfigTree.read(file), registry).toMap();
                assertThat(again).as(c.field() + " '" + name + "'").isEqualTo(record);
                assertThat(again.get(c.field())).as(c.field() + " '" + name + "'")
                        .isEqualTo(withName(name, registry.resolve(c.point(), name, Map.of())));
                checked.add(c.field() + " " + name);
            }
        }
        return checked;
    }

    private static Map<String, Object> withName(String name, Settings settings) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.putAll(settings.asMap());
        return m;
    }

    /** The points every build binds something to. */
    static final List<ExtensionPoint<?, ?>> POINTS = List.of(betalab.api.preference.PreferenceLoss.POINT,
            betalab.api.preference.BetaEstimator.POINT, betalab.api.policy.Policy.POINT,
            betalab.api.optim.Optimizer.POINT, betalab.api.task.Task.POINT);
}
