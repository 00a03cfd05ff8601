package betalab.app;

import betalab.api.preference.PreferenceLoss;
import betalab.api.registry.Knob;
import betalab.api.registry.Provider;
import betalab.api.registry.Registry;
import betalab.data.LossCalculator;
import betalab.data.fit.FittedBeta;
import betalab.training.PreferenceMetrics;
import betalab.training.RunFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgGroupSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code betalab loss}: a preference loss, its gradients and TRL's metrics on precomputed log-probabilities. */
@Command(name = "loss", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Compute a preference loss on precomputed log-probabilities: each pair's loss and the gradient "
                    + "of the file's mean loss, in float64.%n",
            "Input: JSON Lines, one object per line, with numbers policy_chosen_logps, policy_rejected_logps, "
                    + "ref_chosen_logps and ref_rejected_logps; optional chosen_length and rejected_length "
                    + "(tokens, > 0, default 1), beta (> 0, replaces --beta for that pair) and weight (finite, ≥ 0, "
                    + "default 1: the pair's weight in the file's mean loss). Other fields "
                    + "are ignored; null counts as absent in the optional ones. Blank lines are errors, so "
                    + "that output line k always answers input line k.%n",
            "Output: for each line, {\"loss\", \"d_policy_chosen_logps\", \"d_policy_rejected_logps\", "
                    + "\"d_beta\"}: that pair's loss and the gradient of the mean loss over all N pairs "
                    + "(its own gradient / N). With weights the mean is the weighted one, Σwᵢℓᵢ/Σwᵢ, and pair i's "
                    + "gradients are its own × wᵢ/Σw (a weight of 0 counts as dropping the pair; a file whose "
                    + "weights are all 0 is refused, and so are weights with aot and aot_unpaired, whose terms "
                    + "are quantiles, not pairs). The mean loss (weighted, if weights are given) and the rewards "
                    + "metrics, which count every pair once whatever its weight, go to stderr on one line: "
                    + "TRL's rewards/chosen, rewards/rejected, rewards/accuracies and rewards/margins with β = --beta, "
                    + "and rewards_beta/… with each pair's own β. Nothing is written "
                    + "unless every line is valid; the output is written whole, through a temporary file, and "
                    + "may not be the input file (under any name).%n",
            "A fitted β: --beta-from RUN_DIR gives each pair the β of the scheme `betalab fit-beta` fitted in "
                    + "RUN_DIR (its config.json names the scheme, beta.json holds its state), instead of --beta "
                    + "and beta fields. The pairs must then carry what the scheme reads: the fit's feature field "
                    + "with as many numbers as the fit's (finite in float32), and chosen_length/rejected_length "
                    + "and prompt_logps/prompt_length where the fit's data had them. Each output line also gets "
                    + "\"beta\", and rewards/… use the scheme's base β.%n",
            "Memory: pairs are read in chunks of " + LossCalculator.CHUNK + ", except for aot and aot_unpaired "
                    + "(alone or among weighted's terms), which sort across the batch so that each pair's loss "
                    + "depends on all the others: for them the whole file is one batch, held in memory, and line "
                    + "k's loss is the k-th term of the sorted batch (its gradients are still pair k's own)."},
        footer = "`betalab list` shows every loss with its knobs, their defaults and ranges.")
final class LossCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--loss", required = true, paramLabel = "NAME", completionCandidates = LossNames.class,
            description = "the loss, by registry name: ${COMPLETION-CANDIDATES}")
    private String lossName;

    @Option(names = "--beta", paramLabel = "B", defaultValue = "0.1",
            description = "β of pairs without a beta field (default: ${DEFAULT-VALUE})")
    private double beta;

    @Option(names = "--beta-from", paramLabel = "RUN_DIR",
            description = "β from the scheme fitted by `betalab fit-beta` in RUN_DIR, for every pair (not with --beta)")
    private Path betaFrom;

    @ArgGroup(exclusive = false, heading = "Loss knobs (only for losses that declare them; "
            + "unset ones keep the loss's default):%n")
    private KnobOptions knobOptions;

    @Option(names = "--knob", paramLabel = "NAME=VALUE",
            description = "any other knob the loss declares; may be repeated")
    private Map<String, String> otherKnobs = new LinkedHashMap<>();

    @Option(names = "--in", required = true, paramLabel = "FILE", description = "the pairs, JSON Lines")
    private Path in;

    @Option(names = "--out", required = true, paramLabel = "FILE",
            description = "where to write one result line per input line")
    private Path out;

    /** Options named after the catalogue's knobs; each is passed on only when given. */
    static final class KnobOptions {
        @Option(names = "--epsilon", paramLabel = "E", description = "ε: label smoothing, assumed flip rate")
        String epsilon;

        @Option(names = "--gamma", paramLabel = "G", description = "γ: SimPO's target reward margin")
        String gamma;

        @Option(names = "--tau", paramLabel = "T", description = "τ: DiscoPOP's temperature")
        String tau;

        @Option(names = "--divergence", paramLabel = "D", description = "the f-divergence applied to the log-ratios")
        String divergence;

        @Option(names = "--alpha", paramLabel = "A", description = "α of the alpha divergence")
        String alpha;
    }

    /** The registry's loss names for --help, looked up only when help is shown: discovery is not free. */
    static final class LossNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Registry.discover().providers(PreferenceLoss.POINT).keySet().iterator();
        }
    }

    @Override
    public Integer call() {
        if (betaFrom != null && spec.commandLine().getParseResult().hasMatchedOption("--beta")) {
            throw usage("--beta and --beta-from exclude each other: with --beta-from, β comes from the fitted scheme");
        }
        if (betaFrom == null && (!(beta > 0) || !Double.isFinite(beta))) {
            throw usage("--beta must be a finite number > 0, got " + beta);
        }
        Map<String, String> knobs = givenKnobs();
        Registry registry = Registry.discover();
        PreferenceLoss loss = createLoss(registry, knobs);
        requireReadable(in);
        LossCalculator calculator;
        String with = "";
        if (betaFrom != null) {
            FittedBeta fitted;
            try {
                fitted = FittedBeta.load(betaFrom, registry);
            } catch (IllegalArgumentException e) {
                throw usage("--beta-from: " + e.getMessage());
            }
            calculator = new LossCalculator(loss, lossName, fitted);
            with = " with " + fitted.describe();
        } else {
            calculator = new LossCalculator(loss, lossName, beta);
        }
        LossCalculator.Result result = calculator.run(in, out);
        spec.commandLine().getErr().println(summary(result, with));
        spec.commandLine().getErr().flush();
        return 0;
    }

    /** The input must be a readable regular file; if not, one line says why. */
    private void requireReadable(Path file) {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            throw usage("--in: " + file + " is not a readable file: " + RunFiles.reason(e));
        }
        if (!attributes.isRegularFile()) {
            throw usage("--in: " + file + " is not a readable file: it is a "
                    + (attributes.isDirectory() ? "directory" : "special file"));
        }
        if (!Files.isReadable(file)) {
            throw usage("--in: " + file + " is not a readable file: Permission denied");
        }
    }

    /** The (weighted) mean loss and the unweighted preference metrics on one line. */
    private String summary(LossCalculator.Result result, String with) {
        PreferenceMetrics metrics = result.metrics();
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s%s on %d pairs%s: loss=%.6g", lossName,
                with, metrics.pairs(), result.weighted() ? ", weighted" : "", result.loss()));
        metrics.values().forEach((name, v) -> {
            if (name.startsWith("rewards")) {
                line.append(String.format(Locale.ROOT, " %s=%.6g", name, v));
            }
        });
        return line.toString();
    }

    /**
     * Knob name to value, for the knob options the user gave (found through the parse result, so an
     * option counts only when given) and every --knob.
     */
    private Map<String, String> givenKnobs() {
        Map<String, String> knobs = new LinkedHashMap<>();
        ArgGroupSpec group = spec.argGroups().get(0);
        for (OptionSpec o : group.options()) {
            if (spec.commandLine().getParseResult().hasMatchedOption(o)) {
                knobs.put(o.longestName().substring(2), o.getValue());
            }
        }
        otherKnobs.forEach((name, value) -> {
            if (knobs.containsKey(name)) {
                throw usage("--knob " + name + ": already given as --" + name);
            }
            knobs.put(name, value);
        });
        return knobs;
    }

    private PreferenceLoss createLoss(Registry registry, Map<String, String> knobs) {
        Provider<PreferenceLoss, Void> provider = registry.providers(PreferenceLoss.POINT).get(lossName);
        if (provider == null) {
            throw usage("--loss: unknown loss '" + lossName + "'; available: "
                    + String.join(", ", registry.providers(PreferenceLoss.POINT).keySet()));
        }
        List<String> declared = provider.knobs().stream().map(Knob::name).toList();
        for (String knob : knobs.keySet()) {
            if (!declared.contains(knob)) {
                String option = otherKnobs.containsKey(knob) ? "--knob " + knob : "--" + knob;
                throw usage(option + ": loss '" + lossName + "' has no knob '" + knob + "'"
                        + (declared.isEmpty() ? " (it has none)" : " (its knobs: " + String.join(", ", declared) + ")"));
            }
        }
        try {
            return registry.create(PreferenceLoss.POINT, lossName, knobs, null);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
