package betalab.api.registry;

import com.google.inject.Binding;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.Module;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every named implementation the loaded extensions bound, by extension point, and the one way
 * experiments build them: by name, with knob values checked against what the implementation declares.
 */
public final class Registry {
    private static final Logger LOG = LoggerFactory.getLogger(Registry.class);

    private final Map<String, ExtensionPoint<?, ?>> points = new TreeMap<>();
    private final Map<String, SortedMap<String, Provider<?, ?>>> providers = new TreeMap<>();
    private final List<String> extensions;
    private final List<java.nio.file.Path> pluginJars;

    private Registry(Injector injector, List<? extends Module> modules) {
        this.extensions = modules.stream().map(m -> m.getClass().getName()).toList();
        this.pluginJars = modules.stream().map(m -> Extensions.pluginJar(m.getClass())).flatMap(java.util.Optional::stream)
                .distinct().toList();
        Binding<Set<ExtensionPoint<?, ?>>> declared = injector.getExistingBinding(Key.get(ExtensionPoint.POINTS));
        if (declared != null) {
            for (ExtensionPoint<?, ?> point : declared.getProvider().get()) {
                points.put(point.kind(), point);
                providers.put(point.kind(), Collections.unmodifiableSortedMap(
                        new TreeMap<>(injector.getInstance(point.providersKey()))));
            }
        }
    }

    /** A registry of what the discovered extensions bind. */
    public static Registry discover() {
        return of(Extensions.discover());
    }

    /** A registry of what these Guice modules bind, in the order given. */
    public static Registry of(List<? extends Module> modules) {
        Registry registry = new Registry(Guice.createInjector(modules), modules);
        LOG.info("extensions loaded: {}", String.join(", ", registry.extensions));
        return registry;
    }

    /** Builds the implementation {@code name} of {@code point} from these knob values and the context. */
    public <T, C> T create(ExtensionPoint<T, C> point, String name, Map<String, ?> knobs, C context) {
        Provider<T, C> provider = provider(point, name);
        Settings settings = resolve(point, name, knobs);
        return point.finish(provider.create(settings, context), settings);
    }

    /**
     * The knob values {@code name} of {@code point} runs with: {@code knobs} checked against its
     * declaration, every other knob at its default. This is what a run records.
     */
    public Settings resolve(ExtensionPoint<?, ?> point, String name, Map<String, ?> knobs) {
        return Settings.resolve(point.kind() + " '" + name + "'", point.knobs(provider(point, name)), knobs);
    }

    /** The provider bound to {@code name}; fails naming what is available. */
    @SuppressWarnings("unchecked")
    public <T, C> Provider<T, C> provider(ExtensionPoint<T, C> point, String name) {
        SortedMap<String, Provider<?, ?>> bound = providers.getOrDefault(point.kind(), Collections.emptySortedMap());
        Provider<?, ?> p = bound.get(name);
        if (p == null) {
            throw new IllegalArgumentException("unknown " + point.kind() + " '" + name + "'; "
                    + (bound.isEmpty() ? "no extension provides any" : "available: " + String.join(", ", bound.keySet())));
        }
        return (Provider<T, C>) p;
    }

    /** The implementations bound to {@code point}, by name. */
    @SuppressWarnings("unchecked")
    public <T, C> SortedMap<String, Provider<T, C>> providers(ExtensionPoint<T, C> point) {
        SortedMap<String, ?> bound = providers.getOrDefault(point.kind(), Collections.emptySortedMap());
        return (SortedMap<String, Provider<T, C>>) bound;
    }

    /** Every extension point something was bound to, by kind. */
    public Map<String, ExtensionPoint<?, ?>> points() {
        return Collections.unmodifiableMap(points);
    }

    /** Every bound implementation, by extension point kind and name. */
    public Map<String, SortedMap<String, Provider<?, ?>>> all() {
        Map<String, SortedMap<String, Provider<?, ?>>> all = new LinkedHashMap<>(providers);
        return Collections.unmodifiableMap(all);
    }

    /** The plugin jars whose extensions this registry holds (none for betalab's own). */
    public List<java.nio.file.Path> pluginJars() {
        return pluginJars;
    }

    /** Class names of the Guice modules this registry was built from, in load order. */
    public List<String> extensions() {
        return extensions;
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        providers.forEach((kind, bound) -> parts.add(kind + " " + bound.keySet()));
        return "Registry" + parts;
    }
}
