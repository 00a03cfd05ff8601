package betalab.app;

import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.registry.Knob;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import betalab.training.RunFiles;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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
                    + "(tokens, > 0, default 1) and beta (> 0, replaces --beta for that pair). Other fields "
                    + "are ignored; null counts as absent in the optional ones. Blank lines are errors, so "
                    + "that output line k always answers input line k.%n",
            "Output: for each line, {\"loss\", \"d_policy_chosen_logps\", \"d_policy_rejected_logps\", "
                    + "\"d_beta\"}: that pair's loss and the gradient of the mean loss over all N pairs "
                    + "(its own gradient / N). The mean loss and TRL's rewards/chosen, rewards/rejected, "
                    + "rewards/accuracies and rewards/margins go to stderr on one line. Nothing is written "
                    + "unless every line is valid.%n",
            "Memory: pairs are read in chunks of " + LossCommand.CHUNK + ", except for aot and aot_unpaired "
                    + "(alone or among weighted's terms), which sort across the batch so that each pair's loss "
                    + "depends on all the others: for them the whole file is one batch, held in memory, and line "
                    + "k's loss is the k-th term of the sorted batch (its gradients are still pair k's own)."},
        footer = "`betalab list` shows every loss with its knobs, their defaults and ranges.")
final class LossCommand implements Callable<Integer> {

    /** Pairs computed at once when a loss allows it: bounded memory, and per-operation costs spread thin. */
    static final int CHUNK = 8192;

    @Spec
    private CommandSpec spec;

    @Option(names = "--loss", required = true, paramLabel = "NAME", completionCandidates = LossNames.class,
            description = "the loss, by registry name: ${COMPLETION-CANDIDATES}")
    private String lossName;

    @Option(names = "--beta", paramLabel = "B", defaultValue = "0.1",
            description = "β of pairs without a beta field (default: ${DEFAULT-VALUE})")
    private double beta;

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
            return Registry.discover().losses().keySet().iterator();
        }
    }

    @Override
    public Integer call() {
        if (!(beta > 0) || !Double.isFinite(beta)) {
            throw usage("--beta must be a finite number > 0, got " + beta);
        }
        Map<String, String> knobs = givenKnobs();
        PreferenceLoss loss = createLoss(Registry.discover(), knobs);
        if (!Files.isRegularFile(in) || !Files.isReadable(in)) {
            throw usage("--in: " + in + " is not a readable file");
        }
        PairFile pairs = new PairFile(in, beta);
        long n = pairs.read(CHUNK, chunk -> { });
        boolean coupled = loss.batchCoupled();
        if (coupled && n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(in + ": " + n + " pairs are too many for one batch of " + lossName);
        }
        int chunkSize = coupled ? (int) n : CHUNK;
        Summary summary = new Summary();
        // Schubfach, not JDK 17's Double.toString: the same round-tripping digits, several times faster.
        JsonFactory json = JsonFactory.builder().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();
        RunFiles.write(out, stream -> {
            try (JsonGenerator gen = json.createGenerator(stream, JsonEncoding.UTF8)) {
                gen.setRootValueSeparator(null);
                long again = pairs.read(chunkSize, chunk -> write(gen, chunk, evaluate(loss, chunk, n), summary));
                if (again != n) {
                    throw new IllegalStateException(in + " changed while being read: " + n + " pairs, then " + again);
                }
            }
        });
        spec.commandLine().getErr().println(summary.line(lossName));
        spec.commandLine().getErr().flush();
        return 0;
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
        PreferenceLoss.Provider provider = registry.losses().get(lossName);
        if (provider == null) {
            throw usage("--loss: unknown loss '" + lossName + "'; available: "
                    + String.join(", ", registry.losses().keySet()));
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
            return registry.loss(lossName, knobs);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    /** The fields of a result line. */
    private static final String[] OUTPUT = {"loss", "d_policy_chosen_logps", "d_policy_rejected_logps", "d_beta"};

    /** Each pair's loss and its gradients in the mean loss over all {@code total} pairs, by {@link #OUTPUT}. */
    private static double[][] evaluate(PreferenceLoss loss, PairFile.Chunk chunk, long total) {
        Tensor policyChosen = column(chunk, PairFile.POLICY_CHOSEN).asParameter();
        Tensor policyRejected = column(chunk, PairFile.POLICY_REJECTED).asParameter();
        Tensor beta = column(chunk, PairFile.BETA).asParameter();
        PreferenceBatch batch = PreferenceBatch.of(policyChosen, policyRejected,
                        column(chunk, PairFile.REF_CHOSEN), column(chunk, PairFile.REF_REJECTED))
                .lengths(column(chunk, PairFile.CHOSEN_LENGTH), column(chunk, PairFile.REJECTED_LENGTH)).build();
        Tensor perPair = loss.perPair(batch, beta);
        if (perPair.rank() != 1 || perPair.size() != chunk.size()) {
            throw new IllegalStateException("the loss returned shape " + Arrays.toString(perPair.shape())
                    + " for " + chunk.size() + " pairs");
        }
        // Summing a chunk and dividing by the file's N gives each pair exactly its share of the mean
        // loss's gradient, as a pair's loss depends on no other pair; a batch-coupled loss gets the
        // whole file as its one chunk, where this is the mean itself.
        Tensor share = perPair.sum().div(total);
        if (share.requiresGrad()) {
            share.backward();
        }
        return new double[][] {perPair.toDoubleArray(), grad(policyChosen, chunk), grad(policyRejected, chunk),
                grad(beta, chunk)};
    }

    private static Tensor column(PairFile.Chunk chunk, int j) {
        return Tensor.of(DType.FLOAT64, chunk.column(j), chunk.size());
    }

    /** A leaf's gradient, zero where the loss does not depend on it. */
    private static double[] grad(Tensor leaf, PairFile.Chunk chunk) {
        Tensor g = leaf.grad();
        return g == null ? new double[chunk.size()] : g.toDoubleArray();
    }

    private void write(JsonGenerator gen, PairFile.Chunk chunk, double[][] results, Summary summary)
            throws IOException {
        for (int i = 0; i < chunk.size(); i++) {
            gen.writeStartObject();
            for (int f = 0; f < OUTPUT.length; f++) {
                double v = results[f][i];
                // JSON has no NaN or infinity, and a result file with holes is no result.
                if (!Double.isFinite(v)) {
                    throw new IllegalStateException(in + ", line " + (chunk.firstLine() + i) + ": loss '" + lossName
                            + "' gives " + OUTPUT[f] + " = " + v + " there");
                }
                gen.writeNumberField(OUTPUT[f], v);
            }
            gen.writeEndObject();
            gen.writeRaw('\n');
        }
        summary.add(chunk, results[0]);
    }

    /** Running sums for the mean loss and TRL's reward metrics, with β the one each pair used. */
    private static final class Summary {
        private long pairs;
        private double loss;
        private double chosen;
        private double rejected;
        private long correct;

        void add(PairFile.Chunk chunk, double[] losses) {
            for (int i = 0; i < chunk.size(); i++) {
                double b = chunk.get(PairFile.BETA, i);
                double c = b * (chunk.get(PairFile.POLICY_CHOSEN, i) - chunk.get(PairFile.REF_CHOSEN, i));
                double r = b * (chunk.get(PairFile.POLICY_REJECTED, i) - chunk.get(PairFile.REF_REJECTED, i));
                loss += losses[i];
                chosen += c;
                rejected += r;
                correct += c > r ? 1 : 0;
            }
            pairs += chunk.size();
        }

        String line(String lossName) {
            return String.format(Locale.ROOT, "%s on %d pairs: loss=%.6g rewards/chosen=%.6g rewards/rejected=%.6g "
                            + "rewards/accuracies=%.6g rewards/margins=%.6g", lossName, pairs, loss / pairs,
                    chosen / pairs, rejected / pairs, (double) correct / pairs, (chosen - rejected) / pairs);
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
