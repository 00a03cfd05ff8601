package betalab.api.registry;

import betalab.api.optim.Optimizer;
import betalab.api.policy.Policy;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.BetaOptions;
import betalab.api.preference.PreferenceLoss;
import betalab.api.preference.PreferenceObjective;
import betalab.api.tensor.Tensor;
import com.google.inject.Guice;
import com.google.inject.Module;
import jakarta.inject.Inject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Every named implementation the loaded extensions bound, and the one way experiments build them:
 * by name, with knob values checked against what the implementation declares.
 */
public final class Registry {
    private static final Logger LOG = LoggerFactory.getLogger(Registry.class);
    private final SortedMap<String, PreferenceLoss.Provider> losses;
    private final SortedMap<String, BetaEstimator.Provider> betaEstimators;
    private final SortedMap<String, Optimizer.Provider> optimizers;
    private final SortedMap<String, Policy.Provider> policies;
    private final Optional<PreferenceObjective.Assembler> assembler;
    private List<String> extensions = List.of();

    @Inject
    public Registry(Map<String, PreferenceLoss.Provider> losses, Map<String, BetaEstimator.Provider> betaEstimators,
                    Map<String, Optimizer.Provider> optimizers, Map<String, Policy.Provider> policies,
                    Optional<PreferenceObjective.Assembler> assembler) {
        this.losses = Collections.unmodifiableSortedMap(new TreeMap<>(losses));
        this.betaEstimators = Collections.unmodifiableSortedMap(new TreeMap<>(betaEstimators));
        this.optimizers = Collections.unmodifiableSortedMap(new TreeMap<>(optimizers));
        this.policies = Collections.unmodifiableSortedMap(new TreeMap<>(policies));
        this.assembler = assembler;
    }

    /** A registry of what the discovered extensions bind. */
    public static Registry discover() {
        return of(Extensions.discover());
    }

    /** A registry of what these Guice modules bind, in the order given. */
    public static Registry of(List<? extends Module> modules) {
        List<Module> all = new ArrayList<>();
        all.add(Extensions::declareExtensionPoints);
        all.addAll(modules);
        Registry registry = Guice.createInjector(all).getInstance(Registry.class);
        registry.extensions = modules.stream().map(m -> m.getClass().getName()).toList();
        LOG.info("extensions loaded: {}", String.join(", ", registry.extensions));
        return registry;
    }

    public PreferenceLoss loss(String name, Map<String, ?> knobs) {
        PreferenceLoss.Provider p = find("loss", losses, name);
        return p.create(Settings.resolve("loss '" + name + "'", p.knobs(), knobs));
    }

    /** The β scheme with this name; besides its own knobs it takes {@link BetaOptions#KNOBS}. */
    public BetaEstimator betaEstimator(String name, Map<String, ?> knobs, BetaEstimator.Context context) {
        BetaEstimator.Provider p = find("beta estimator", betaEstimators, name);
        Settings settings = Settings.resolve("beta estimator '" + name + "'", betaKnobs(p), knobs);
        return BetaOptions.apply(p.create(settings, context), settings);
    }

    /** Every knob a β scheme accepts: its own, then the switches every scheme has. */
    public static List<Knob> betaKnobs(BetaEstimator.Provider provider) {
        List<Knob> all = new ArrayList<>(provider.knobs());
        all.addAll(BetaOptions.KNOBS);
        return all;
    }

    public Optimizer optimizer(String name, Map<String, ?> knobs, List<Tensor> parameters) {
        Optimizer.Provider p = find("optimizer", optimizers, name);
        return p.create(Settings.resolve("optimizer '" + name + "'", p.knobs(), knobs), parameters);
    }

    public Policy policy(String name, Map<String, ?> knobs, Policy.Context context) {
        Policy.Provider p = find("policy", policies, name);
        return p.create(Settings.resolve("policy '" + name + "'", p.knobs(), knobs), context);
    }

    public PreferenceObjective objective(BetaEstimator beta, PreferenceLoss loss) {
        return assembler.orElseThrow(() -> new IllegalStateException(
                "no extension binds PreferenceObjective.Assembler (betalab-loss does); is it on the path?"))
                .assemble(beta, loss);
    }

    public SortedMap<String, PreferenceLoss.Provider> losses() {
        return losses;
    }

    public SortedMap<String, BetaEstimator.Provider> betaEstimators() {
        return betaEstimators;
    }

    public SortedMap<String, Optimizer.Provider> optimizers() {
        return optimizers;
    }

    public SortedMap<String, Policy.Provider> policies() {
        return policies;
    }

    /** Class names of the Guice modules this registry was built from, in load order. */
    public List<String> extensions() {
        return extensions;
    }

    private static <T> T find(String kind, Map<String, T> bound, String name) {
        T p = bound.get(name);
        if (p == null) {
            throw new IllegalArgumentException("unknown " + kind + " '" + name + "'; available: "
                    + String.join(", ", bound.keySet()));
        }
        return p;
    }
}
