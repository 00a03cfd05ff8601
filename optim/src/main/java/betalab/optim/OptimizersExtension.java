package betalab.optim;

import betalab.api.optim.Optimizer;
import betalab.api.registry.Extension;
import betalab.api.registry.Extensions;
import com.google.inject.AbstractModule;
import com.google.inject.multibindings.MapBinder;

/** Binds the optimizers "sgd", "adam" and "adamw". */
public final class OptimizersExtension extends AbstractModule implements Extension {
    @Override
    protected void configure() {
        MapBinder<String, Optimizer.Provider> optimizers = Extensions.optimizers(binder());
        optimizers.addBinding("sgd").toInstance(new Sgd.Provider());
        optimizers.addBinding("adam").toInstance(new Adam.Provider(false));
        optimizers.addBinding("adamw").toInstance(new Adam.Provider(true));
    }
}
