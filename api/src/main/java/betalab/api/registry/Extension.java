package betalab.api.registry;

/**
 * The service type of betalab extensions: a Guice module that adds named implementations through
 * {@link Extensions}. A jar declares it with {@code provides betalab.api.registry.Extension with ...}
 * in its module-info and in {@code META-INF/services/betalab.api.registry.Extension}.
 */
public interface Extension extends com.google.inject.Module {
}
