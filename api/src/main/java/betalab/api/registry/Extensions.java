package betalab.api.registry;

import betalab.api.optim.Optimizer;
import betalab.api.policy.Policy;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceLoss;
import betalab.api.preference.PreferenceObjective;
import com.google.inject.Binder;
import com.google.inject.multibindings.MapBinder;
import com.google.inject.multibindings.OptionalBinder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/** The extension points, one name-keyed map each, and discovery of the extensions that fill them. */
public final class Extensions {
    private Extensions() {
    }

    public static MapBinder<String, PreferenceLoss.Provider> losses(Binder binder) {
        return MapBinder.newMapBinder(binder, String.class, PreferenceLoss.Provider.class);
    }

    public static MapBinder<String, BetaEstimator.Provider> betaEstimators(Binder binder) {
        return MapBinder.newMapBinder(binder, String.class, BetaEstimator.Provider.class);
    }

    public static MapBinder<String, Optimizer.Provider> optimizers(Binder binder) {
        return MapBinder.newMapBinder(binder, String.class, Optimizer.Provider.class);
    }

    public static MapBinder<String, Policy.Provider> policies(Binder binder) {
        return MapBinder.newMapBinder(binder, String.class, Policy.Provider.class);
    }

    /** Declares every extension point, so a registry can be built from any subset of extensions. */
    static void declareExtensionPoints(Binder binder) {
        losses(binder);
        betaEstimators(binder);
        optimizers(binder);
        policies(binder);
        OptionalBinder.newOptionalBinder(binder, PreferenceObjective.Assembler.class);
    }

    /** Every extension on the module or class path, ordered by class name so runs are repeatable. */
    public static List<Extension> discover() {
        List<Extension> found = new ArrayList<>();
        ServiceLoader.load(Extension.class, Extensions.class.getClassLoader()).forEach(found::add);
        found.sort(Comparator.comparing(e -> e.getClass().getName()));
        return found;
    }
}
