package betalab.spark;

import betalab.api.registry.Extension;
import com.google.inject.Binder;

/** An extension the driver has and the executors do not: a plugin that was not shipped. Binds nothing. */
public final class DriverOnlyExtension implements Extension {
    @Override
    public void configure(Binder binder) {
    }
}
