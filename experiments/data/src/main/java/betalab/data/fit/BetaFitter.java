package betalab.data.fit;

import betalab.api.Stateful;
import betalab.api.optim.Optimizer;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.preference.PreferenceObjective;
import betalab.api.random.Rng;
import betalab.api.registry.Knob;
import betalab.api.registry.Registry;
import betalab.api.registry.Settings;
import betalab.api.tensor.DType;
import betalab.api.tensor.NonFiniteValueException;
import betalab.api.tensor.Tensor;
import betalab.data.DataFormat;
import betalab.data.PreferenceReader;
import betalab.data.PreferenceRecord;
import betalab.data.PreferenceRecord.Column;
import betalab.training.Checkpoints;
import betalab.training.Config;
import betalab.training.ConfigSchema;
import betalab.training.ConfigTree;
import betalab.training.Evaluation;
import betalab.training.GradientClipping;
import betalab.training.MetricsLogger;
import betalab.training.NonFiniteCheck;
import betalab.training.PreferenceMetrics;
import betalab.training.Progress;
import betalab.training.Provenance;
import betalab.training.RunDirectory;
import betalab.training.RunFiles;
import betalab.training.StepResult;
import betalab.training.Trainable;
import betalab.training.Trainer;
import betalab.training.TrainingListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Offline β fitting ({@code betalab fit-beta}), the seed experiment generalised to a user's data: a
 * β scheme from the registry trained by any loss of the catalogue on log-probabilities and prompt
 * features precomputed in a file (by the user's own LLM, say), with a held-out validation split, on
 * the one training loop. The policy's log-probabilities are data here, so only β learns.
 *
 * <p>The file is streamed, never held: one pass checks every line (before anything is written) and
 * learns the feature width, then each epoch is a pass of training steps on the training pairs,
 * shuffled through a bounded buffer, and a pass evaluating the validation pairs. Each epoch's end is
 * a checkpoint (β, the optimizer, the generator), from which a stopped fit resumes to the numbers of
 * one never stopped; the fitted β is written to {@code beta.json} when the fit completes.
 *
 * <p>A {@code weight} column (finite, ≥ 0, on every line or none) weighs the pairs: each step
 * minimises the batch's weighted mean loss Σwᵢℓᵢ/Σwᵢ (wᵢ the line's weight times the β scheme's own
 * pair weight, where it has one) plus the scheme's penalty, and eval/loss is the validation pairs'
 * weighted mean; the preference metrics count every pair once.
 */
public final class BetaFitter implements Trainable<List<PreferenceRecord>> {
    /** How a stopped fit is continued, as a signal's message says. */
    private static final String RESUME = "betalab fit-beta --resume ";
    private static final Set<Column> LOG_PROBS = EnumSet.of(Column.POLICY_CHOSEN_LOGPS, Column.POLICY_REJECTED_LOGPS,
            Column.REF_CHOSEN_LOGPS, Column.REF_REJECTED_LOGPS);

    public static final Knob<String> PATH = Knob.text("path", null,
            "the JSON Lines file; a relative path is taken from the config file's folder");
    public static final Knob<String> FORMAT = Knob.text("format", "trl",
            "trl (prompt/chosen/rejected text), conversational (message lists) or hh", "trl", "conversational", "hh");
    public static final Knob<String> FEATURES = Knob.text("features", null,
            "the field holding each prompt's feature vector; none when left out");
    public static final Knob<Boolean> SKIP_IDENTICAL = Knob.flag("skip_identical", false,
            "skip pairs whose chosen and rejected completions are the same, instead of failing");
    public static final Knob<String> SHA256 = Knob.text("sha256", null,
            "the file's SHA-256; when given, a file with another content is refused (a run records it)");

    public static final Knob<Long> SEED = Knob.longInteger("seed", 0, "seeds β's initial weights and the shuffling");
    public static final Knob<String> RNG = Knob.text("rng", "torch", "torch or java", "torch", "java");
    public static final Knob<Integer> EPOCHS = Knob.integer("epochs", 0, "passes over the training pairs (≥ 1)")
            .atLeast(0);
    public static final Knob<Integer> BATCH_SIZE = Knob.integer("batch_size", 64, "pairs per step").positive();
    public static final Knob<Integer> LOG_EVERY = Knob.integer("log_every", 10,
            "steps per row of training metrics (each row averages them); an epoch's last step always logs").positive();
    public static final Knob<Integer> SHUFFLE_BUFFER = Knob.integer("shuffle_buffer", 10_000,
            "pairs held to shuffle the stream; 0 keeps file order").atLeast(0);
    public static final Knob<Double> VALIDATION_FRACTION = Knob.real("validation_fraction", 0.1,
            "share of prompts held out; a pair's side is a fixed hash of its prompt").between(0, 1, false);
    public static final Knob<Double> GRAD_CLIP = Knob.real("grad_clip", 0.0,
            "largest global gradient norm; 0 turns clipping off").atLeast(0);

    /** What a fit's config holds. */
    public static final ConfigSchema SCHEMA = ConfigSchema.of(List.of(SEED, RNG, EPOCHS, BATCH_SIZE, LOG_EVERY,
                    SHUFFLE_BUFFER, VALIDATION_FRACTION, GRAD_CLIP))
            .section("data", List.of(PATH, FORMAT, FEATURES, SKIP_IDENTICAL, SHA256))
            .component("beta", BetaEstimator.POINT)
            .component("loss", PreferenceLoss.POINT)
            .component("optimizer", Optimizer.POINT);

    private final Config config;
    private final Rng rng;
    private final Set<Column> columns = EnumSet.copyOf(LOG_PROBS);
    private final PreferenceReader reader;
    private final long trainPairs;
    private final long validationPairs;
    private final long skipped;
    private final int featureDim;
    private final BetaEstimator beta;
    private final PreferenceObjective objective;
    private final Optimizer optimizer;
    /** Whether the file gives each pair a weight. */
    private final boolean weighted;

    /** Checks the data and builds the components; bad data or a bad config fails here, before anything is written. */
    private BetaFitter(Config resolved, Registry registry) {
        Settings data = resolved.section("data");
        if (data.get(PATH) == null || data.get(PATH).isBlank()) {
            throw resolved.error("data.path", "is missing: name the preference file");
        }
        if (resolved.get(EPOCHS) < 1) {
            throw resolved.error("epochs", "must be given, ≥ 1");
        }
        Path file = Path.of(data.get(PATH));
        String sha256 = Provenance.sha256(file);
        if (data.get(SHA256) != null && !data.get(SHA256).equalsIgnoreCase(sha256)) {
            throw resolved.error("data.sha256", "is " + data.get(SHA256) + ", but " + file + " has SHA-256 " + sha256
                    + ": the file changed since the config was written");
        }
        DataFormat format = DataFormat.named(data.get(FORMAT));
        String featureField = data.get(FEATURES);
        boolean skipIdentical = data.get(SKIP_IDENTICAL);
        double fraction = resolved.get(VALIDATION_FRACTION);
        PreferenceReader check = new PreferenceReader(file, format, featureField, LOG_PROBS, skipIdentical);
        // The first pass checks every line and learns which optional columns the file has: all of its
        // lines, or none, must give each.
        Column[] optional = EnumSet.complementOf(EnumSet.copyOf(LOG_PROBS)).toArray(Column[]::new);
        long[] with = new long[optional.length];
        long[] firstWith = new long[optional.length];
        long[] firstWithout = new long[optional.length];
        long[] held = new long[1];
        // the weights of the training and of the validation pairs, summed
        double[] weightSums = new double[2];
        PreferenceReader.Stats stats = check.read(r -> {
            if (r.has(Column.WEIGHT)) {
                weightSums[isValidation(r.prompt(), fraction) ? 1 : 0] += r.get(Column.WEIGHT);
            }
            for (int i = 0; i < optional.length; i++) {
                long[] first = r.has(optional[i]) ? firstWith : firstWithout;
                with[i] += r.has(optional[i]) ? 1 : 0;
                first[i] = first[i] == 0 ? r.line() : first[i];
            }
            held[0] += isValidation(r.prompt(), fraction) ? 1 : 0;
        });
        for (int i = 0; i < optional.length; i++) {
            if (with[i] == stats.pairs()) {
                columns.add(optional[i]);
            } else if (with[i] > 0) {
                throw new IllegalArgumentException(file + ", line " + firstWithout[i] + ": field '"
                        + optional[i].field() + "' is missing, though line " + firstWith[i]
                        + " gives it; give it on every line or on none");
            }
        }
        weighted = columns.contains(Column.WEIGHT);
        if (weighted && !(weightSums[0] > 0)) {
            throw new IllegalArgumentException(file + ": every training pair has weight 0, so the weighted mean loss "
                    + "is 0/0; give some pair a weight > 0");
        }
        if (weighted && held[0] > 0 && !(weightSums[1] > 0)) {
            throw new IllegalArgumentException(file + ": every validation pair has weight 0, so eval/loss, their "
                    + "weighted mean, is 0/0; give some of them a weight > 0");
        }
        reader = new PreferenceReader(file, format, featureField, columns, skipIdentical);
        validationPairs = held[0];
        trainPairs = stats.pairs() - validationPairs;
        skipped = stats.skippedIdentical();
        featureDim = stats.featureDim();
        if (trainPairs == 0) {
            throw new IllegalArgumentException(file + ": all " + stats.pairs() + " pairs fall in the validation "
                    + "split (validation_fraction " + fraction + "), none are left to train on");
        }

        rng = Rng.named(resolved.get(RNG), resolved.get(SEED));
        // The policy is data here: a β scheme can read prompt features, not the policy's representation.
        beta = resolved.create(registry, "beta", BetaEstimator.POINT,
                new BetaEstimator.Context(featureDim, 0, rng, DType.FLOAT32));
        objective = new PreferenceObjective(beta, resolved.create(registry, "loss", PreferenceLoss.POINT, null));
        if (weighted && objective.loss().batchCoupled()) {
            // As the training objective refuses a scheme's pair weights with such a loss.
            throw new IllegalArgumentException(file + ": field 'weight' weighs pairs, but the loss is batch-coupled "
                    + "(aot, aot_unpaired, or weighted with one of them: its terms are quantiles of the batch, not "
                    + "pairs) and cannot weigh them; drop the weights or use a per-pair loss");
        }
        // A β without parameters (a fixed one) has nothing to fit: the run then only reports its metrics.
        optimizer = objective.namedParameters().isEmpty() ? null : resolved.create(registry, "optimizer",
                Optimizer.POINT, List.copyOf(objective.namedParameters().values()));
        config = resolved.withSection("data", SHA256.name(), sha256);
    }

    /**
     * Reads {@code tree} against {@link #SCHEMA}; a relative data path is taken from {@code folder}
     * (the config file's), and recorded absolute.
     */
    public static Config resolve(ConfigTree tree, Registry registry, Path folder) {
        Config c = SCHEMA.resolve(tree, registry);
        String path = c.section("data").get(PATH);
        if (path != null && !path.isBlank() && folder != null && !Path.of(path).isAbsolute()) {
            c = c.withSection("data", PATH.name(), folder.resolve(path).normalize().toAbsolutePath().toString());
        }
        return c;
    }

    /** A config file, read and resolved. */
    public static Config read(Path file, Registry registry) {
        return resolve(ConfigTree.read(file), registry, file.toAbsolutePath().getParent());
    }

    /**
     * Fits into {@code dir}, which must not already hold a run; bad data fails before anything is
     * written. {@code onReport} hears the evaluation before training and the row that ends each epoch.
     */
    public static RunDirectory.Summary fit(Registry registry, Config config, Path dir,
                                           Consumer<Map<String, Object>> onReport) {
        return fit(registry, config, dir, Integer.MAX_VALUE, onReport);
    }

    /** As {@link #fit(Registry, Config, Path, Consumer)}, stopping (as if interrupted) after {@code stopAfter} steps. */
    public static RunDirectory.Summary fit(Registry registry, Config config, Path dir, int stopAfter,
                                           Consumer<Map<String, Object>> onReport) {
        RunDirectory.refuseExisting(dir);
        return fit(registry, config, () -> dir, stopAfter, onReport);
    }

    /**
     * Fits into the directory {@code directory} gives once the data is checked and everything is
     * built (a fresh unique one, say), so bad data leaves nothing behind. The directory is locked
     * for the fit's life: a second process working in it fails at once, naming this one.
     */
    public static RunDirectory.Summary fit(Registry registry, Config config, Supplier<Path> directory, int stopAfter,
                                           Consumer<Map<String, Object>> onReport) {
        BetaFitter fitter = new BetaFitter(config, registry);
        Path dir = directory.get();
        Map<String, Object> provenance = new LinkedHashMap<>(Provenance.of(registry));
        provenance.put("seed", config.get(SEED));
        provenance.put("data", fitter.dataFile());
        RunDirectory run = RunDirectory.create(dir, fitter.config.toMap(), provenance).resumeWith(RESUME + dir);
        try {
            run.describe(fitter.facts());
            fitter.trainer(run, onReport).run(0, stopAfter);
        } finally {
            run.close();
        }
        return run.summary();
    }

    /**
     * Continues the fit in {@code dir} from the end of its last completed epoch, under the set-up it
     * was started with (its config, data file, backend and extensions; refused otherwise), to the
     * same numbers as a fit never stopped. A fit stopped before its first epoch ended starts over.
     */
    public static RunDirectory.Summary resume(Registry registry, Path dir, Consumer<Map<String, Object>> onReport) {
        RunDirectory run = RunDirectory.open(dir).resumeWith(RESUME + dir);
        try {
            run.requireSameSetUp(registry);
            BetaFitter fitter = new BetaFitter(read(dir.resolve(RunDirectory.CONFIG), registry), registry);
            int step = run.resume(fitter.saved());
            if (step % fitter.stepsPerEpoch() != 0) {
                throw new IllegalStateException(dir + ": its checkpoint is at step " + step + ", inside an epoch of "
                        + fitter.stepsPerEpoch() + " steps; a fit resumes only from an epoch's end");
            }
            run.describe(fitter.facts());
            fitter.trainer(run, onReport).run(step);
        } finally {
            run.close();
        }
        return run.summary();
    }

    /** What a checkpoint holds: β's state, the generator, and the optimizer's state where there is one. */
    private Map<String, Stateful> saved() {
        Map<String, Stateful> saved = new LinkedHashMap<>(state());
        if (optimizer != null) {
            saved.put("optimizer", optimizer);
        }
        return saved;
    }

    /**
     * The loop with its listeners, in the order they act: checks, clipping, metrics, evaluation, the
     * fitted β (written before the run records completion), the run's files, a checkpoint at each
     * epoch's end, and the report.
     */
    private Trainer<List<PreferenceRecord>> trainer(RunDirectory run, Consumer<Map<String, Object>> onReport) {
        int stepsPerEpoch = stepsPerEpoch();
        MetricsLogger logger = new MetricsLogger(config.get(LOG_EVERY));
        List<TrainingListener> listeners = new ArrayList<>(List.of(new NonFiniteCheck(),
                new GradientClipping(config.get(GRAD_CLIP)), logger));
        if (validationPairs > 0) {
            listeners.add(new Evaluation(stepsPerEpoch, true, this::evaluate));
        }
        listeners.add(new TrainingListener() {
            @Override
            public void onEnd(Progress progress, String status, RuntimeException error) {
                if ("completed".equals(status)) {
                    run.writeJson(RunDirectory.FITTED_BETA, beta.state());
                }
            }
        });
        listeners.add(run.bestBy("eval/loss", false));
        // Only at an epoch's end: an epoch is a pass over the file that cannot start in its middle.
        Checkpoints checkpoints = new Checkpoints(stepsPerEpoch, run, saved(), logger);
        listeners.add(new TrainingListener() {
            @Override
            public void onStepEnd(Progress progress) {
                if (progress.step() % stepsPerEpoch == 0) {
                    checkpoints.onStepEnd(progress);
                }
            }
        });
        listeners.add(new TrainingListener() {
            @Override
            public void onStepEnd(Progress progress) {
                if (progress.step() == 0 ? progress.row().size() > 2 : progress.endsEpoch()) {
                    onReport.accept(progress.row());
                }
            }
        });
        return new Trainer<>(this, optimizer, stepsPerEpoch * config.get(EPOCHS), listeners);
    }

    /**
     * Whether a pair with this prompt is held out: a fixed hash of the prompt's text (64-bit FNV-1a,
     * then SplitMix64's finaliser) read as a number in [0, 1). Pairs that share a prompt fall on the
     * same side, and the split is the same for every run over the file, whatever the seed.
     */
    static boolean isValidation(String prompt, double fraction) {
        long h = 0xcbf29ce484222325L;
        for (byte b : prompt.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        h ^= h >>> 31;
        return (h >>> 11) * 0x1.0p-53 < fraction;
    }

    /** The data file as it was read: its path, size, time of last change and SHA-256. */
    private Map<String, Object> dataFile() {
        Path file = reader.file();
        try {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("path", file.toAbsolutePath().toString());
            d.put("bytes", Files.size(file));
            d.put("modified", Files.getLastModifiedTime(file).toString());
            d.put("sha256", config.section("data").get(SHA256));
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + RunFiles.reason(e), e);
        }
    }

    private Map<String, Object> facts() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("train_pairs", trainPairs);
        p.put("validation_pairs", validationPairs);
        p.put("skipped_identical_pairs", skipped);
        p.put("feature_dim", featureDim);
        p.put("columns", columns.stream().map(Column::field).toList());
        return p;
    }

    @Override
    public Map<String, Tensor> parameters() {
        return objective.namedParameters();
    }

    @Override
    public int stepsPerEpoch() {
        return (int) ((trainPairs + config.get(BATCH_SIZE) - 1) / config.get(BATCH_SIZE));
    }

    /** Stops a pass over the file early. */
    private static final class Stop extends RuntimeException {
        Stop() {
            super(null, null, false, false);
        }
    }

    /** One pass over the training pairs, shuffled, in batches. A fit starts every epoch from its beginning. */
    @Override
    public void batches(int epoch, int skip, Predicate<List<PreferenceRecord>> step) {
        if (skip != 0) {
            throw new IllegalStateException("a fit cannot start mid-epoch");
        }
        Batches batches = new Batches(config.get(BATCH_SIZE), records -> {
            if (!step.test(records)) {
                throw new Stop();
            }
        });
        Shuffler<PreferenceRecord> shuffler = new Shuffler<>(config.get(SHUFFLE_BUFFER), rng, batches);
        try {
            long seen = pass(shuffler, false);
            shuffler.drain();
            batches.flush();
            if (seen != trainPairs) {
                throw changed();
            }
        } catch (Stop stop) {
            // the loop has had what it asked for
        }
    }

    @Override
    public StepResult forward(List<PreferenceRecord> records) {
        PreferenceBatch batch = batch(records);
        PreferenceObjective.Evaluation e = objective.train(batch,
                weighted ? Tensor.of(DType.FLOAT64, weights(records), records.size()) : null);
        return new StepResult(e.loss(), Map.of("beta", e.beta()),
                PreferenceMetrics.of(batch, e.beta(), e.perPair(), beta.baseBeta()));
    }

    /** The lines' weights. */
    private static double[] weights(List<PreferenceRecord> records) {
        double[] w = new double[records.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = records.get(i).get(Column.WEIGHT);
        }
        return w;
    }

    /** β's state and the generator (which shuffles each epoch): at an epoch's end, all a fit needs to continue. */
    @Override
    public Map<String, Stateful> state() {
        Map<String, Stateful> state = new LinkedHashMap<>();
        state.put("beta", beta);
        state.put("rng", rng);
        return state;
    }

    /**
     * The validation pairs' metrics as they stand: eval/loss, the mean per-pair loss (weighted where
     * the file gives weights), and eval/….
     */
    private Map<String, Object> evaluate(int step) {
        PreferenceMetrics metrics = new PreferenceMetrics(beta.baseBeta());
        double[] weightedLoss = new double[2];
        Batches batches = new Batches(config.get(BATCH_SIZE), records -> {
            PreferenceBatch batch = batch(records);
            PreferenceObjective.Evaluation e = objective.evaluate(batch);
            if (!e.beta().allFinite()) {
                throw new NonFiniteValueException(step, "validation beta");
            }
            if (!e.loss().allFinite()) {
                throw new NonFiniteValueException(step, "validation loss");
            }
            metrics.add(batch, e.beta(), e.perPair());
            if (weighted) {
                double[] l = e.perPair().toDoubleArray();
                double[] w = weights(records);
                for (int i = 0; i < l.length; i++) {
                    weightedLoss[0] += w[i] * l[i];
                    weightedLoss[1] += w[i];
                }
            }
        });
        long seen = pass(batches, true);
        batches.flush();
        if (seen != validationPairs) {
            throw changed();
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("eval/loss", weighted ? weightedLoss[0] / weightedLoss[1] : metrics.meanLoss());
        row.putAll(metrics.values("eval/"));
        return row;
    }

    /** Streams the file once, handing on the pairs of one side of the split; returns how many. */
    private long pass(Consumer<PreferenceRecord> sink, boolean validation) {
        long[] n = new long[1];
        double fraction = config.get(VALIDATION_FRACTION);
        reader.read(r -> {
            if (isValidation(r.prompt(), fraction) == validation) {
                n[0]++;
                sink.accept(r);
            }
        });
        return n[0];
    }

    private IllegalArgumentException changed() {
        return new IllegalArgumentException(reader.file() + " changed while being read: its pairs differ "
                + "from the first pass's");
    }

    /** The batch of these pairs: log-probabilities in float64 (their differences are small), features in float32. */
    private PreferenceBatch batch(List<PreferenceRecord> records) {
        PreferenceBatch.Builder b = PreferenceBatch.of(column(records, Column.POLICY_CHOSEN_LOGPS),
                column(records, Column.POLICY_REJECTED_LOGPS), column(records, Column.REF_CHOSEN_LOGPS),
                column(records, Column.REF_REJECTED_LOGPS));
        if (columns.contains(Column.CHOSEN_LENGTH)) {
            b.lengths(column(records, Column.CHOSEN_LENGTH), column(records, Column.REJECTED_LENGTH));
        }
        if (columns.contains(Column.PROMPT_LOGPS)) {
            b.prompt(column(records, Column.PROMPT_LOGPS), column(records, Column.PROMPT_LENGTH));
        }
        if (featureDim > 0) {
            double[] x = new double[records.size() * featureDim];
            for (int i = 0; i < records.size(); i++) {
                System.arraycopy(records.get(i).features(), 0, x, i * featureDim, featureDim);
            }
            b.features(Tensor.of(x, records.size(), featureDim));
        }
        return b.build();
    }

    private static Tensor column(List<PreferenceRecord> records, Column c) {
        double[] v = new double[records.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = records.get(i).get(c);
        }
        return Tensor.of(DType.FLOAT64, v, v.length);
    }

    /** Gathers pairs into batches, handing on each full one, and the last however full on {@link #flush}. */
    private static final class Batches implements Consumer<PreferenceRecord> {
        private final int size;
        private final Consumer<List<PreferenceRecord>> sink;
        private final List<PreferenceRecord> pending = new ArrayList<>();

        Batches(int size, Consumer<List<PreferenceRecord>> sink) {
            this.size = size;
            this.sink = sink;
        }

        @Override
        public void accept(PreferenceRecord r) {
            pending.add(r);
            if (pending.size() == size) {
                flush();
            }
        }

        void flush() {
            if (!pending.isEmpty()) {
                // A copy: the sink may keep the batch while this one fills again.
                List<PreferenceRecord> full = List.copyOf(pending);
                pending.clear();
                sink.accept(full);
            }
        }
    }
}
