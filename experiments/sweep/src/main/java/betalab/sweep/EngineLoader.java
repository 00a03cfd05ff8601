package betalab.sweep;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The class loader of engines outside betalab's own path: their jars first, so that an engine's
 * libraries win over older ones on the launcher's class path (ND4J's), except for the packages of
 * the named modules betalab runs as (betalab, Jackson, SLF4J, the JDK), which stay one type each.
 */
final class EngineLoader extends URLClassLoader {
    static {
        registerAsParallelCapable();
    }

    private final Set<String> shared;

    EngineLoader(URL[] urls, ClassLoader parent) {
        super("betalab-engines", urls, parent);
        shared = ModuleLayer.boot().modules().stream().flatMap(m -> m.getPackages().stream())
                .collect(Collectors.toUnmodifiableSet());
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        int dot = name.lastIndexOf('.');
        if (dot < 0 || shared.contains(name.substring(0, dot))) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                try {
                    c = findClass(name);
                } catch (ClassNotFoundException e) {
                    return super.loadClass(name, resolve);
                }
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    @Override
    public URL getResource(String name) {
        URL own = findResource(name);
        return own != null ? own : super.getResource(name);
    }
}
