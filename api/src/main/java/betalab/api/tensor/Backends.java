package betalab.api.tensor;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/**
 * Finds tensor backends through {@link ServiceLoader}. The default is the one named by the system
 * property {@code betalab.backend}, else the highest-priority one present.
 */
public final class Backends {
    public static final String PROPERTY = "betalab.backend";

    private static volatile TensorBackend current;

    private Backends() {
    }

    /** Every backend on the module or class path, highest priority first. */
    public static List<TensorBackend> available() {
        List<TensorBackend> found = new ArrayList<>();
        ServiceLoader.load(TensorBackend.class, Backends.class.getClassLoader()).forEach(found::add);
        found.sort(Comparator.comparingInt(TensorBackend::priority).reversed().thenComparing(TensorBackend::name));
        return found;
    }

    /** The backend with this name, or an error listing the ones present. */
    public static TensorBackend named(String name) {
        List<TensorBackend> all = available();
        return all.stream().filter(b -> b.name().equals(name)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("unknown tensor backend '" + name + "'; available: "
                        + all.stream().map(TensorBackend::name).collect(Collectors.joining(", "))));
    }

    /** The backend new tensors are made on. */
    public static TensorBackend current() {
        TensorBackend b = current;
        if (b == null) {
            synchronized (Backends.class) {
                if (current == null) {
                    String asked = System.getProperty(PROPERTY);
                    List<TensorBackend> all = available();
                    if (asked == null && all.isEmpty()) {
                        throw new IllegalStateException("no tensor backend found: betalab-api registers "
                                + "its JVM backend in module-info and META-INF/services; is it on the path?");
                    }
                    current = asked != null ? named(asked) : all.get(0);
                    LoggerFactory.getLogger(Backends.class).info("tensor backend: {}", current.name());
                }
                b = current;
            }
        }
        return b;
    }

    /** Makes new tensors use this backend from now on. */
    public static void use(TensorBackend backend) {
        current = backend;
        LoggerFactory.getLogger(Backends.class).info("tensor backend: {}", backend.name());
    }
}
