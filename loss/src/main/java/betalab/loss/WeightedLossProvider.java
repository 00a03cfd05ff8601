package betalab.loss;

import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.Tensor;
import betalab.api.registry.Provider;
import com.google.inject.Injector;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A weighted combination of other bound losses, TRL's {@code loss_type} list with
 * {@code loss_weights}: per pair Σₖ wₖ·lossₖ (so the batch mean is TRL's Σₖ wₖ·mean(lossₖ)).
 *
 * <p>Knobs: {@code terms} (comma-separated loss names), {@code weights} (comma-separated numbers,
 * one per term; empty for all 1), and every knob the other losses declare, passed to each term
 * that declares it and checked there. Those shared knobs are text, empty by default, which keeps
 * each term's own default: one knob name can have different defaults and ranges in different
 * losses (epsilon is 0 in cdpo, 1e-3 in exo_pair).
 */
public final class WeightedLossProvider implements Provider<PreferenceLoss, Void> {
    static final String NAME = "weighted";
    static final String TERMS = "terms";
    static final String WEIGHTS = "weights";

    // Read lazily: the map holds this provider too, and is complete only once the injector is.
    private final Injector injector;

    @Inject
    public WeightedLossProvider(Injector injector) {
        this.injector = injector;
    }

    @Override
    public String description() {
        return "Σₖ wₖ·lossₖ per pair (TRL's loss_type list with loss_weights)";
    }

    @Override
    public List<Knob<?>> knobs() {
        List<Knob<?>> knobs = new ArrayList<>(List.of(
                Knob.text(TERMS, "sigmoid", "the losses combined, comma-separated names"),
                Knob.text(WEIGHTS, "", "wₖ of each term, comma-separated numbers; empty for all 1")));
        sharedKnobs().forEach((knob, users) -> knobs.add(Knob.text(knob, "", "passed to the terms declaring it ("
                + String.join(", ", users) + "); empty keeps each term's default")));
        return List.copyOf(knobs);
    }

    @Override
    public PreferenceLoss create(Settings settings, Void none) {
        Map<String, Provider<?, ?>> all = terms();
        List<String> names = names(settings, all);
        double[] weights = weights(settings, names);
        Map<String, String> shared = new LinkedHashMap<>();
        for (String knob : sharedKnobs().keySet()) {
            String value = settings.text(knob).trim();
            if (!value.isEmpty()) {
                shared.put(knob, value);
            }
        }
        Set<String> unused = new LinkedHashSet<>(shared.keySet());
        List<PreferenceLoss> terms = new ArrayList<>();
        for (String name : names) {
            @SuppressWarnings("unchecked")
            Provider<PreferenceLoss, Void> term = (Provider<PreferenceLoss, Void>) all.get(name);
            Map<String, String> own = new LinkedHashMap<>(shared);
            own.keySet().retainAll(term.knobs().stream().map(Knob::name).toList());
            unused.removeAll(own.keySet());
            terms.add(term.create(Settings.resolve(settings.owner() + " term '" + name + "'", term.knobs(), own), null));
        }
        if (!unused.isEmpty()) {
            throw new IllegalArgumentException(settings.owner() + ": knob '" + unused.iterator().next()
                    + "' is used by none of the terms " + String.join(", ", names));
        }
        PreferenceLoss weighted = new Weighted(terms, weights);
        return terms.stream().anyMatch(PreferenceLoss::batchCoupled) ? PreferenceLoss.coupled(weighted) : weighted;
    }

    /** Σₖ wₖ·lossₖ; a term's running statistics move in training and are kept under "k.name". */
    private record Weighted(List<PreferenceLoss> terms, double[] weights) implements PreferenceLoss {
        @Override
        public Tensor perPair(PreferenceBatch batch, Tensor beta) {
            return sum(batch, beta, false);
        }

        @Override
        public Tensor train(PreferenceBatch batch, Tensor beta) {
            return sum(batch, beta, true);
        }

        private Tensor sum(PreferenceBatch batch, Tensor beta, boolean training) {
            Tensor total = null;
            for (int k = 0; k < terms.size(); k++) {
                PreferenceLoss term = terms.get(k);
                Tensor t = (training ? term.train(batch, beta) : term.perPair(batch, beta)).mul(weights[k]);
                total = total == null ? t : total.add(t);
            }
            return total;
        }

        @Override
        public Map<String, double[]> state() {
            Map<String, double[]> state = new LinkedHashMap<>();
            for (int k = 0; k < terms.size(); k++) {
                int term = k;
                terms.get(k).state().forEach((name, values) -> state.put(term + "." + name, values));
            }
            return state;
        }

        @Override
        public void loadState(Map<String, double[]> state) {
            for (int k = 0; k < terms.size(); k++) {
                String prefix = k + ".";
                Map<String, double[]> own = new LinkedHashMap<>();
                state.forEach((name, values) -> {
                    if (name.startsWith(prefix)) {
                        own.put(name.substring(prefix.length()), values);
                    }
                });
                terms.get(k).loadState(own);
            }
        }
    }

    /** Every bound loss but the combinations, by name. */
    private Map<String, Provider<?, ?>> terms() {
        Map<String, Provider<?, ?>> terms = new TreeMap<>(injector.getInstance(PreferenceLoss.POINT.providersKey()));
        terms.values().removeIf(p -> p instanceof WeightedLossProvider);
        return terms;
    }

    /** Each knob the terms declare, with the terms declaring it. */
    private Map<String, List<String>> sharedKnobs() {
        Map<String, List<String>> users = new LinkedHashMap<>();
        terms().forEach((name, p) -> p.knobs().forEach(k -> users.computeIfAbsent(k.name(), x -> new ArrayList<>())
                .add(name)));
        return users;
    }

    private static List<String> names(Settings settings, Map<String, Provider<?, ?>> all) {
        List<String> names = split(settings.text(TERMS));
        if (names.isEmpty()) {
            throw new IllegalArgumentException(settings.owner() + ": knob '" + TERMS + "' names no loss");
        }
        for (String name : names) {
            if (!all.containsKey(name)) {
                throw new IllegalArgumentException(settings.owner() + ": knob '" + TERMS + "' names '" + name
                        + "', not a loss that can be combined; available: " + String.join(", ", all.keySet()));
            }
        }
        return names;
    }

    private static double[] weights(Settings settings, List<String> names) {
        List<String> given = split(settings.text(WEIGHTS));
        if (given.isEmpty()) {
            return names.stream().mapToDouble(n -> 1.0).toArray();
        }
        String where = settings.owner() + ": knob '" + WEIGHTS + "'";
        if (given.size() != names.size()) {
            throw new IllegalArgumentException(where + " gives " + given.size() + " weight(s) for " + names.size()
                    + " term(s) (" + String.join(", ", names) + ")");
        }
        double[] weights = new double[given.size()];
        for (int k = 0; k < weights.length; k++) {
            try {
                weights[k] = Double.parseDouble(given.get(k));
            } catch (NumberFormatException e) {
                weights[k] = Double.NaN;
            }
            if (!Double.isFinite(weights[k])) {
                throw new IllegalArgumentException(where + " expects finite numbers, got '" + given.get(k) + "'");
            }
        }
        return weights;
    }

    private static List<String> split(String text) {
        String trimmed = text.trim();
        return trimmed.isEmpty() ? List.of() : List.of(trimmed.split("\\s*,\\s*"));
    }
}
