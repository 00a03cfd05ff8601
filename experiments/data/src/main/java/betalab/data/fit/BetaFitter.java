package betalab.data.fit;

import betalab.api.optim.Optimizer;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceObjective;
import betalab.api.random.Rng;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.NonFiniteValueException;
import betalab.api.tensor.Tensor;
import betalab.training.FiniteCheck;
import betalab.training.Provenance;
import betalab.data.PreferenceReader;
import betalab.data.PreferenceRecord;
import betalab.data.PreferenceRecord.Column;
import betalab.training.RunDirectory;
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
import java.util.function.Supplier;

/**
 * Offline β fitting, the seed experiment generalised to a user's data: a β scheme from the registry
 * trained by any loss of the catalogue on log-probabilities and prompt features precomputed in a
 * file (by the user's own LLM, say), with a held-out validation split, into a run directory like a
 * training run's. The policy's log-probabilities are data here, so only β learns: each pair's margin
 * h is fixed and β(x) learns where to be large, as in the seed.
 *
 * <p>The file is streamed, never held: one pass checks every line (before anything is written) and
 * learns the feature width, then each epoch is a pass of training steps on the training pairs,
 * shuffled through a bounded buffer, and a pass evaluating the validation pairs. Memory is the
 * shuffle buffer and one batch, whatever the file's length.
 */
public final class BetaFitter {
    private static final Set<Column> LOG_PROBS = EnumSet.of(Column.POLICY_CHOSEN_LOGPS, Column.POLICY_REJECTED_LOGPS,
            Column.REF_CHOSEN_LOGPS, Column.REF_REJECTED_LOGPS);

    /**
     * Hears the evaluation before training and the row that ends each epoch: its evaluation, or
     * without a validation split its last training row.
     */
    @FunctionalInterface
    public interface Listener {
        void reported(Map<String, Object> row);
    }

    private final Registry registry;
    private final Listener listener;

    public BetaFitter(Registry registry) {
        this(registry, row -> { });
    }

    public BetaFitter(Registry registry, Listener listener) {
        this.registry = registry;
        this.listener = listener;
    }

    /** Fits into {@code dir}, which must not already hold a run. Bad data fails before anything is written. */
    public RunDirectory.Summary fit(FitConfig config, Path dir) {
        if (Files.exists(dir.resolve(FitRun.CONFIG))) {
            throw new IllegalArgumentException(dir + " already holds a run; choose another directory");
        }
        return new Session(config).run(dir);
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

    /** Runs {@code build}, prefixing any complaint with the config field it came from. */
    private static <T> T field(String name, Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        }
    }

    /** One fit: the data checked and the components built from the config, then trained. */
    private final class Session {
        private final FitConfig config;
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
        private FitRun run;
        private int epoch;
        private int epochsCompleted;
        private Map<String, Object> lastTrainRow;
        private int step;
        private PairStats interval = new PairStats();
        private double intervalLoss;
        private double intervalGradNorm;
        private int intervalSteps;

        Session(FitConfig config) {
            this.config = config;
            FitConfig.DataConfig data = config.data();
            Path file = Path.of(data.path());
            PreferenceReader check = field("data", () -> new PreferenceReader(file, data.dataFormat(),
                    data.features(), LOG_PROBS, data.skipIdentical()));
            // The first pass checks every line and learns which optional columns the file has: all of its
            // lines, or none, must give each.
            Column[] optional = EnumSet.complementOf(EnumSet.copyOf(LOG_PROBS)).toArray(Column[]::new);
            long[] with = new long[optional.length];
            long[] firstWith = new long[optional.length];
            long[] firstWithout = new long[optional.length];
            long[] held = new long[1];
            PreferenceReader.Stats stats = check.read(r -> {
                for (int i = 0; i < optional.length; i++) {
                    long[] first = r.has(optional[i]) ? firstWith : firstWithout;
                    with[i] += r.has(optional[i]) ? 1 : 0;
                    first[i] = first[i] == 0 ? r.line() : first[i];
                }
                held[0] += isValidation(r.prompt(), config.validationFraction()) ? 1 : 0;
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
            reader = new PreferenceReader(file, data.dataFormat(), data.features(), columns, data.skipIdentical());
            validationPairs = held[0];
            trainPairs = stats.pairs() - validationPairs;
            skipped = stats.skippedIdentical();
            featureDim = stats.featureDim();
            if (trainPairs == 0) {
                throw new IllegalArgumentException(file + ": all " + stats.pairs() + " pairs fall in the validation "
                        + "split (validation_fraction " + config.validationFraction() + "), none are left to train on");
            }

            rng = Rng.named(config.rng(), config.seed());
            // The policy is data here: a β scheme can read prompt features, not the policy's representation.
            beta = field("beta", () -> registry.betaEstimator(config.beta().name(), config.beta().knobs(),
                    new BetaEstimator.Context(featureDim, 0, rng, DType.FLOAT32)));
            objective = registry.objective(beta,
                    field("loss", () -> registry.loss(config.loss().name(), config.loss().knobs())));
            // A β without parameters (a fixed one) has nothing to fit: the run then only reports its metrics.
            optimizer = objective.parameters().isEmpty() ? null : field("optimizer", () -> registry.optimizer(
                    config.optimizer().name(), config.optimizer().knobs(), objective.parameters()));
        }

        RunDirectory.Summary run(Path dir) {
            List<String> metrics = new ArrayList<>(List.of("step", "epoch"));
            metrics.addAll(PairStats.KEYS);
            metrics.add("grad_norm");
            PairStats.KEYS.forEach(k -> metrics.add("eval/" + k));
            Map<String, Object> provenance = new LinkedHashMap<>(Provenance.of(registry.extensions()));
            provenance.put("seed", config.seed());
            provenance.put("data", dataFile());
            try (FitRun opened = FitRun.create(dir, config, provenance, metrics)) {
                run = opened;
                run.summary("running", null, progress());
                try {
                    Map<String, Object> start = evaluate();
                    if (start != null) {
                        listener.reported(start);
                    }
                    while (epoch < config.epochs()) {
                        epoch++;
                        trainEpoch();
                        Map<String, Object> end = evaluate();
                        epochsCompleted = epoch;
                        listener.reported(end != null ? end : lastTrainRow);
                    }
                } catch (NonFiniteValueException | IllegalArgumentException e) {
                    run.summary("failed", e.getMessage(), progress());
                    throw e;
                }
                run.complete(beta.state());
                return run.summary("completed", null, progress());
            }
        }

        /** The data file as it was read: its path, size and time of last change. */
        private Map<String, Object> dataFile() {
            Path file = reader.file();
            try {
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("path", file.toAbsolutePath().toString());
                d.put("bytes", Files.size(file));
                d.put("modified", Files.getLastModifiedTime(file).toString());
                return d;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }

        private Map<String, Object> progress() {
            long perEpoch = (trainPairs + config.batchSize() - 1) / config.batchSize();
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("epochs_completed", epochsCompleted);
            p.put("epochs", config.epochs());
            p.put("steps_completed", step);
            p.put("steps", perEpoch * config.epochs());
            p.put("train_pairs", trainPairs);
            p.put("validation_pairs", validationPairs);
            p.put("skipped_identical_pairs", skipped);
            p.put("feature_dim", featureDim);
            p.put("columns", columns.stream().map(Column::field).toList());
            return p;
        }

        /** One pass of training steps over the training pairs, shuffled. */
        private void trainEpoch() {
            Batches batches = new Batches(config.batchSize(), this::trainStep);
            Shuffler<PreferenceRecord> shuffler = new Shuffler<>(config.shuffleBuffer(), rng, batches);
            long seen = pass(shuffler, false);
            shuffler.drain();
            batches.flush();
            if (seen != trainPairs) {
                throw changed();
            }
            if (intervalSteps > 0) {
                logInterval();
            }
        }

        private void trainStep(List<PreferenceRecord> records) {
            step++;
            PreferenceBatch batch = batch(records);
            PreferenceObjective.Evaluation e = objective.train(batch);
            FiniteCheck.require(step, "beta", e.beta());
            FiniteCheck.require(step, "loss", e.loss());
            double gradNorm = 0;
            if (optimizer != null) {
                optimizer.zeroGrad();
                e.loss().backward();
                List<Tensor> parameters = objective.parameters();
                FiniteCheck.requireGradients(step, parameters);
                for (Tensor p : parameters) {
                    if (p.grad() != null) {
                        for (double g : p.grad().toDoubleArray()) {
                            gradNorm += g * g;
                        }
                    }
                }
                gradNorm = Math.sqrt(gradNorm);
                if (config.gradClip() > 0 && gradNorm > config.gradClip()) {
                    // As torch.nn.utils.clip_grad_norm_.
                    double scale = config.gradClip() / (gradNorm + 1e-6);
                    parameters.stream().map(Tensor::grad).filter(g -> g != null).forEach(g -> g.scaleInPlace(scale));
                }
                optimizer.step();
            }
            interval.add(batch, e.beta(), e.perPair());
            intervalLoss += e.loss().item();
            intervalGradNorm += gradNorm;
            intervalSteps++;
            if (step % config.logEvery() == 0) {
                logInterval();
            }
        }

        /** A row averaging the steps since the last: the objective's loss, TRL's metrics, the gradient norm. */
        private void logInterval() {
            Map<String, Object> row = row();
            row.putAll(interval.metrics(""));
            row.put("loss", intervalLoss / intervalSteps);
            row.put("grad_norm", intervalGradNorm / intervalSteps);
            run.log(row);
            lastTrainRow = row;
            interval = new PairStats();
            intervalLoss = 0;
            intervalGradNorm = 0;
            intervalSteps = 0;
        }

        /** The validation pairs' metrics as they stand, logged; null without a validation split. */
        private Map<String, Object> evaluate() {
            if (validationPairs == 0) {
                return null;
            }
            PairStats stats = new PairStats();
            Batches batches = new Batches(config.batchSize(), records -> {
                try (var noGrad = Tensor.noGrad()) {
                    PreferenceBatch batch = batch(records);
                    PreferenceObjective.Evaluation e = objective.evaluate(batch);
                    FiniteCheck.require(step, "validation beta", e.beta());
                    FiniteCheck.require(step, "validation loss", e.loss());
                    stats.add(batch, e.beta(), e.perPair());
                }
            });
            long seen = pass(batches, true);
            batches.flush();
            if (seen != validationPairs) {
                throw changed();
            }
            Map<String, Object> row = row();
            row.putAll(stats.metrics("eval/"));
            run.log(row);
            return row;
        }

        private Map<String, Object> row() {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("step", step);
            row.put("epoch", epoch);
            return row;
        }

        /** Streams the file once, handing on the pairs of one side of the split; returns how many. */
        private long pass(Consumer<PreferenceRecord> sink, boolean validation) {
            long[] n = new long[1];
            reader.read(r -> {
                if (isValidation(r.prompt(), config.validationFraction()) == validation) {
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
                sink.accept(pending);
                pending.clear();
            }
        }
    }
}
