package betalab.optim;

import betalab.api.optim.Optimizer;
import betalab.api.registry.Extension;
import com.google.inject.AbstractModule;

/** Binds the optimizers "sgd", "adam" and "adamw". */
public final class OptimizersExtension extends AbstractModule implements Extension {
    @Override
    protected void configure() {
        Optimizer.POINT.bind(binder(), "sgd", Sgd.provider());
        Optimizer.POINT.bind(binder(), "adam", Adam.provider(false));
        Optimizer.POINT.bind(binder(), "adamw", Adam.provider(true));
    }
}
