package betalab.api.registry;

import com.google.inject.CreationException;
import com.google.inject.Guice;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.module.ResolutionException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Discovery of the extensions that fill the extension points: built in, and from plugin jars. */
public final class Extensions {
    /**
     * System property naming plugin jars, or directories of them, separated by {@link File#pathSeparator}:
     * the launcher sets it to its {@code plugins/} directory and {@code --plugin-path} adds to it.
     */
    public static final String PLUGINS_PROPERTY = "betalab.plugins";

    private Extensions() {
    }

    /**
     * Every extension on the module or class path, and in the plugins {@value #PLUGINS_PROPERTY}
     * names (none when it is unset), ordered by class name so runs are repeatable.
     */
    public static List<Extension> discover() {
        String plugins = System.getProperty(PLUGINS_PROPERTY, "");
        return discover(Stream.of(plugins.split(File.pathSeparator)).filter(s -> !s.isBlank()).map(Path::of)
                .toList());
    }

    /**
     * Every extension on the module or class path and in {@code plugins}: jars, or directories whose
     * {@code *.jar} files are all taken. A modular jar runs as a named module in a layer of its own
     * above betalab's; a plain jar is read as if on the class path, through its META-INF/services.
     * All are ordered by class name. A name bound by two extensions fails, naming both.
     */
    public static List<Extension> discover(List<Path> plugins) {
        List<Extension> builtIn = new ArrayList<>();
        ServiceLoader.load(Extension.class, Extensions.class.getClassLoader()).forEach(builtIn::add);
        List<Extension> found = new ArrayList<>(builtIn);
        List<Extension> loaded = plugins.isEmpty() ? List.of() : loadPlugins(jars(plugins));
        found.addAll(loaded);
        found.sort(Comparator.comparing(e -> e.getClass().getName()));
        if (!loaded.isEmpty()) {
            requireDistinctNames(builtIn, loaded);
        }
        return found;
    }

    /** The jars {@code plugins} names, directories expanded to their jars in name order, each jar once. */
    private static List<Path> jars(List<Path> plugins) {
        List<Path> jars = new ArrayList<>();
        for (Path p : plugins) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> files = Files.list(p)) {
                    files.filter(f -> f.getFileName().toString().endsWith(".jar") && Files.isRegularFile(f))
                            .sorted().forEach(jars::add);
                } catch (IOException e) {
                    throw new UncheckedIOException("plugin path " + p + ": cannot list: " + e.getMessage(), e);
                }
            } else if (!Files.exists(p)) {
                throw new IllegalArgumentException("plugin path " + p + ": no such file or directory");
            } else if (!p.getFileName().toString().endsWith(".jar")) {
                throw new IllegalArgumentException("plugin path " + p + ": not a directory or a .jar file");
            } else {
                jars.add(p);
            }
        }
        // The same jar named twice (by plugins/ and by --plugin-path, say) is one plugin.
        java.util.Set<Path> seen = new java.util.HashSet<>();
        jars.removeIf(jar -> !seen.add(real(jar)));
        return jars;
    }

    private static List<Extension> loadPlugins(List<Path> jars) {
        requireDistinctJars(jars);
        ModuleLayer parent = Extension.class.getModule().getLayer();
        List<Path> modular = new ArrayList<>();
        List<Path> plain = new ArrayList<>();
        for (Path jar : jars) {
            // Modules only work above a betalab that runs as modules; on the class path, every jar is plain.
            (parent != null && isModular(jar) ? modular : plain).add(jar);
        }
        List<Extension> found = new ArrayList<>();
        if (!modular.isEmpty()) {
            ModuleLayer layer = layer(parent, modular);
            ServiceLoader.load(layer, Extension.class).stream()
                    .filter(p -> p.type().getModule().getLayer() == layer)
                    .forEach(p -> found.add(p.get()));
        }
        if (!plain.isEmpty()) {
            URLClassLoader loader = new URLClassLoader("betalab-plugins", urls(plain), Extensions.class.getClassLoader());
            ServiceLoader.load(Extension.class, loader).stream()
                    .filter(p -> p.type().getClassLoader() == loader)
                    .forEach(p -> found.add(p.get()));
        }
        return found;
    }

    /**
     * Fails on two jars that provide the same module, or list the same extension class: the second
     * would be shadowed without a word (a plugin in plugins/ and another version of it on
     * --plugin-path). Names both jars.
     */
    private static void requireDistinctJars(List<Path> jars) {
        Map<String, Path> modules = new LinkedHashMap<>();
        Map<String, Path> classes = new LinkedHashMap<>();
        for (Path jar : jars) {
            Path real = real(jar);
            for (String module : moduleNames(jar)) {
                Path earlier = modules.putIfAbsent(module, real);
                if (earlier != null && !earlier.equals(real)) {
                    throw new IllegalArgumentException("plugins " + earlier + " and " + jar + " both provide module '"
                            + module + "'; keep one of them");
                }
                if (ModuleLayer.boot().findModule(module).isPresent()) {
                    throw new IllegalArgumentException("plugin " + jar + " provides module '" + module
                            + "', which betalab already has; rename the plugin's module");
                }
            }
            for (String extension : listedExtensions(jar)) {
                Path earlier = classes.putIfAbsent(extension, real);
                if (earlier != null && !earlier.equals(real)) {
                    throw new IllegalArgumentException("plugins " + earlier + " and " + jar + " both provide "
                            + extension + "; keep one of them");
                }
            }
        }
    }

    private static Path real(Path jar) {
        try {
            return jar.toRealPath();
        } catch (IOException e) {
            return jar.toAbsolutePath().normalize();
        }
    }

    private static List<String> moduleNames(Path jar) {
        try {
            return ModuleFinder.of(jar).findAll().stream().filter(m -> !m.descriptor().isAutomatic())
                    .map(m -> m.descriptor().name()).toList();
        } catch (FindException e) {
            throw new IllegalArgumentException("plugin " + jar + ": " + e.getMessage(), e);
        }
    }

    /** The extension classes a jar lists in its META-INF/services. */
    private static List<String> listedExtensions(Path jar) {
        try (java.util.jar.JarFile file = new java.util.jar.JarFile(jar.toFile())) {
            var entry = file.getEntry("META-INF/services/" + Extension.class.getName());
            if (entry == null) {
                return List.of();
            }
            String text = new String(file.getInputStream(entry).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            return text.lines().map(l -> l.replaceAll("#.*", "").strip()).filter(l -> !l.isEmpty()).toList();
        } catch (IOException e) {
            throw new IllegalArgumentException("plugin " + jar + ": cannot read it as a jar: " + e.getMessage(), e);
        }
    }

    /**
     * The jar a plugin extension was loaded from, or nothing for one built into betalab (on its
     * module or class path).
     */
    public static java.util.Optional<Path> pluginJar(Class<?> extension) {
        java.lang.Module module = extension.getModule();
        if (module.isNamed()) {
            ModuleLayer layer = module.getLayer();
            if (layer == null || layer == ModuleLayer.boot()) {
                return java.util.Optional.empty();
            }
            return layer.configuration().findModule(module.getName()).flatMap(m -> m.reference().location())
                    .map(Path::of);
        }
        if (extension.getClassLoader() instanceof URLClassLoader loader && "betalab-plugins".equals(loader.getName())) {
            var source = extension.getProtectionDomain().getCodeSource();
            try {
                return source == null ? java.util.Optional.empty() : java.util.Optional.of(Path.of(source.getLocation().toURI()));
            } catch (java.net.URISyntaxException e) {
                return java.util.Optional.empty();
            }
        }
        return java.util.Optional.empty();
    }

    private static boolean isModular(Path jar) {
        try {
            return ModuleFinder.of(jar).findAll().stream().noneMatch(m -> m.descriptor().isAutomatic());
        } catch (FindException e) {
            throw new IllegalArgumentException("plugin " + jar + ": " + e.getMessage(), e);
        }
    }

    /** One layer holding the modular plugins, resolved against betalab's modules. */
    private static ModuleLayer layer(ModuleLayer parent, List<Path> jars) {
        try {
            ModuleFinder finder = ModuleFinder.of(jars.toArray(Path[]::new));
            List<String> roots = finder.findAll().stream().map(ModuleReference::descriptor)
                    .map(ModuleDescriptor::name).toList();
            Configuration cf = parent.configuration().resolveAndBind(finder, ModuleFinder.of(), roots);
            return parent.defineModulesWithOneLoader(cf, Extensions.class.getClassLoader());
        } catch (FindException | ResolutionException | LayerInstantiationException e) {
            throw new IllegalArgumentException("plugins " + jars + ": " + e.getMessage(), e);
        }
    }

    private static URL[] urls(List<Path> jars) {
        try {
            URL[] urls = new URL[jars.size()];
            for (int i = 0; i < urls.length; i++) {
                urls[i] = jars.get(i).toUri().toURL();
            }
            return urls;
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * Fails on a name that two of these bind, naming both providers: Guice would refuse it too, in a
     * multi-line message about map keys. Each plugin extension is checked alone and against the
     * built-in ones.
     */
    private static void requireDistinctNames(List<Extension> builtIn, List<Extension> plugins) {
        Map<String, Component> seen = new LinkedHashMap<>();
        List<List<Extension>> groups = new ArrayList<>();
        groups.add(builtIn);
        plugins.forEach(p -> groups.add(List.of(p)));
        for (List<Extension> group : groups) {
            Registry registry = probe(group);
            registry.all().forEach((kind, components) -> components.forEach((name, component) -> {
                String key = kind + " '" + name + "'";
                Component earlier = seen.putIfAbsent(key, component);
                if (earlier != null) {
                    throw new IllegalArgumentException("duplicate " + key + ": provided by " + describe(earlier)
                            + " and by " + describe(component) + "; remove one of them");
                }
            }));
        }
    }

    private static String describe(Component c) {
        return c.origin().getName() + " [" + c.source() + "]";
    }

    /**
     * A registry of these extensions alone; a failure names them (and a plugin's jar) and says its
     * cause on one line: an exception thrown while binding, or else Guice's first error.
     */
    private static Registry probe(List<Extension> modules) {
        try {
            return Registry.of(modules);
        } catch (CreationException e) {
            var first = e.getErrorMessages().iterator().next();
            String why = first.getCause() != null ? first.getCause().toString()
                    : first.getMessage().lines().map(String::strip).filter(l -> !l.isEmpty())
                            .takeWhile(l -> !l.startsWith("at ")).collect(Collectors.joining(" "));
            String from = modules.stream().map(m -> m.getClass().getName()
                    + pluginJar(m.getClass()).map(jar -> " [" + jar + "]").orElse("")).collect(Collectors.joining(", "));
            throw new IllegalArgumentException(from + ": " + why, e);
        } catch (RuntimeException e) {
            String from = modules.stream().map(m -> m.getClass().getName()
                    + pluginJar(m.getClass()).map(jar -> " [" + jar + "]").orElse("")).collect(Collectors.joining(", "));
            throw new IllegalArgumentException(from + ": " + e, e);
        }
    }
}
