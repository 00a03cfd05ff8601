package betalab.training;

import betalab.api.Stateful;
import betalab.api.optim.Optimizer;
import betalab.api.policy.Policy;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.preference.PreferenceObjective;
import betalab.api.random.Rng;
import betalab.api.registry.Knob;
import betalab.api.registry.Registry;
import betalab.api.registry.Settings;
import betalab.api.task.PreferencePairs;
import betalab.api.task.Task;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DPO-family training of a policy on a task ({@code betalab train}): the policy, and its β scheme
 * with it, trained by a preference loss on the task's pairs against a reference policy (frozen, or
 * moved toward the policy as TR-DPO does), with the task's evaluation on its held-out split and β on
 * flipped against clean training pairs. Everything is built from the config, deterministically, so a
 * run replays from its {@code config.json} and resumes from its checkpoint to the same numbers.
 */
public final class PreferenceTraining implements Trainable<int[]> {
    private static final Logger LOG = LoggerFactory.getLogger(PreferenceTraining.class);

    public static final Knob<Long> SEED = Knob.longInteger("seed", 0,
            "seeds every random draw: the task, initial weights, pairs and batch order");
    public static final Knob<String> RNG = Knob.text("rng", "torch",
            "torch (PyTorch's CPU generator) or java", "torch", "java");
    public static final Knob<Integer> STEPS = Knob.integer("steps", 0,
            "optimizer steps; 0 takes them from epochs").atLeast(0);
    public static final Knob<Integer> EPOCHS = Knob.integer("epochs", 0,
            "passes over the training pairs, when steps is 0").atLeast(0);
    public static final Knob<Integer> BATCH_SIZE = Knob.integer("batch_size", 64, "pairs per step").positive();
    public static final Knob<Integer> EVAL_EVERY = Knob.integer("eval_every", 0,
            "steps between evaluations (also at the start and the end); 0 for a tenth of the steps").atLeast(0);
    public static final Knob<Integer> CHECKPOINT_EVERY = Knob.integer("checkpoint_every", 0,
            "steps between checkpoints (also at the end); 0 for eval_every").atLeast(0);
    public static final Knob<Integer> LOG_EVERY = Knob.integer("log_every", 1,
            "steps per row of training metrics, each row averaging them").positive();
    public static final Knob<Double> GRAD_CLIP = Knob.real("grad_clip", 0.0,
            "largest global gradient norm; 0 turns clipping off").atLeast(0);

    public static final Knob<Boolean> USE_WEIGHTING = Knob.flag("use_weighting", false,
            "WPO: each pair's loss times min(1, exp(a(y_w) + a(y_l))), a(y) the mean over tokens of "
                    + "log πθ(y_t) − log Σ_v πθ(v)² (Zhou et al. 2024; TRL's use_weighting)");

    public static final Knob<Double> LD_ALPHA = Knob.real("ld_alpha", 1.0,
            "LD-DPO (Liu et al. 2024; TRL's ld_alpha): in each pair, the tokens of the longer completion past the "
                    + "shorter one's length count with this weight in its log-probability, policy's and reference's "
                    + "alike; 1 counts every token fully").between(0, 1, true);

    public static final Knob<String> BETA_FROM = Knob.text("beta_from", null,
            "a betalab fit-beta run directory: β starts from the state fitted there (the beta section must "
                    + "name the fitted scheme with the fitted knobs)");

    public static final Knob<String> SYNC_MODE = Knob.text("mode", "none",
            "TR-DPO's reference update: none (frozen), soft (α·πθ + (1 − α)·π_ref) or hard (πθ)",
            "none", "soft", "hard");
    public static final Knob<Integer> SYNC_EVERY = Knob.integer("every", 0, "steps between reference updates")
            .atLeast(0);
    public static final Knob<Double> SYNC_ALPHA = Knob.real("alpha", 1.0, "α, the policy's weight in a soft update")
            .between(0, 1, true).positive();

    /** What a training config holds. */
    public static final ConfigSchema SCHEMA = ConfigSchema.of(List.of(SEED, RNG, STEPS, EPOCHS, BATCH_SIZE,
                    EVAL_EVERY, CHECKPOINT_EVERY, LOG_EVERY, GRAD_CLIP, USE_WEIGHTING, LD_ALPHA, BETA_FROM))
            .component("task", Task.POINT, "bandit", Map.of())
            .component("policy", Policy.POINT, "log_linear", Map.of())
            .section("reference_sync", List.of(SYNC_MODE, SYNC_EVERY, SYNC_ALPHA))
            .section("schedule", LearningRateSchedule.KNOBS)
            .component("loss", PreferenceLoss.POINT)
            .component("beta", BetaEstimator.POINT)
            .component("optimizer", Optimizer.POINT)
            .moved("environment", "the bandit's settings are the task's now: task: {name: bandit, prompts: …}");

    private final Config config;
    private final Rng rng;
    private final Task task;
    private final Policy policy;
    private final Policy reference;
    private final double ldAlpha;
    private final int batchSize;
    private final PreferencePairs pairs;
    private final Task.Evaluator evaluator;
    private final BetaEstimator beta;
    private final PreferenceObjective objective;
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Optimizer optimizer;
    private final int stepsPerEpoch;
    private int[] order;
    private long tokensSeen;

    /** Builds everything the config names, in a fixed order of random draws; nothing is written. */
    public PreferenceTraining(Config resolved, Registry registry) {
        rng = Rng.named(resolved.get(RNG), resolved.get(SEED));
        task = resolved.create(registry, "task", Task.POINT, new Task.Context(rng, DType.FLOAT32));
        policy = resolved.create(registry, "policy", Policy.POINT, policyContext(rng));
        // The reference starts as a copy; its own initial draws come from a throwaway generator.
        reference = resolved.create(registry, "policy", Policy.POINT,
                policyContext(Rng.named(resolved.get(RNG), resolved.get(SEED))));
        reference.loadState(policy.state());
        Task.Prepared prepared;
        try (var noGrad = Tensor.noGrad()) {
            prepared = task.prepare(reference, rng);
        }
        ldAlpha = resolved.get(LD_ALPHA);
        batchSize = resolved.get(BATCH_SIZE);
        pairs = withReferenceLogps(resolved, prepared.train());
        evaluator = prepared.evaluator();
        beta = resolved.create(registry, "beta", BetaEstimator.POINT, new BetaEstimator.Context(task.featureDim(),
                policy.representationDim(), rng, DType.FLOAT32));
        if (resolved.get(BETA_FROM) != null) {
            startFromFitted(resolved, beta);
        }
        PreferenceLoss loss = resolved.create(registry, "loss", PreferenceLoss.POINT, null);
        if (resolved.get(USE_WEIGHTING) && loss.batchCoupled()) {
            throw resolved.error("use_weighting", "cannot be true with the batch-coupled loss '"
                    + resolved.component("loss").name() + "': WPO's weights multiply each pair's loss, and its terms "
                    + "are quantiles of the batch");
        }
        objective = new PreferenceObjective(beta, loss, resolved.get(USE_WEIGHTING));
        policy.namedParameters().forEach((name, p) -> parameters.put("policy." + name, p));
        parameters.putAll(objective.namedParameters());
        optimizer = resolved.create(registry, "optimizer", Optimizer.POINT, List.copyOf(parameters.values()));

        stepsPerEpoch = (pairs.size() + batchSize - 1) / batchSize;
        this.config = derive(resolved, stepsPerEpoch);
        Settings sync = config.section("reference_sync");
        if (!sync.get(SYNC_MODE).equals("none") && sync.get(SYNC_EVERY) < 1) {
            throw config.error("reference_sync.every", "must be ≥ 1 when mode is " + sync.get(SYNC_MODE));
        }
    }

    /**
     * The pairs with a frozen reference's log-probabilities computed once, as TRL's
     * {@code precompute_ref_log_probs} does: the reference never changes, so scoring it every step
     * would only repeat the same numbers. Pairs that came with them (a data file's columns) keep
     * theirs; a reference that TR-DPO moves is scored in every step instead.
     */
    private PreferencePairs withReferenceLogps(Config resolved, PreferencePairs given) {
        boolean frozen = resolved.section("reference_sync").get(SYNC_MODE).equals("none");
        if (given.hasReferenceLogps()) {
            if (!frozen) {
                throw resolved.error("reference_sync.mode", "must be none: the task's pairs carry precomputed reference "
                        + "log-probabilities, which a reference that moves cannot use");
            }
            if (ldAlpha < 1) {
                throw resolved.error("ld_alpha", "must be 1: the task's pairs carry precomputed reference "
                        + "log-probabilities, summed over every token without LD-DPO's weights");
            }
            return given;
        }
        if (!frozen) {
            return given;
        }
        double[] chosen = new double[given.size()];
        double[] rejected = new double[given.size()];
        forEachChunk(given, (from, chunk) -> {
            Tensor[] sums;
            try (var noGrad = Tensor.noGrad()) {
                sums = sums(reference.score(sequences(chunk)), chunk);
            }
            System.arraycopy(sums[0].toDoubleArray(), 0, chosen, from, chunk.size());
            System.arraycopy(sums[1].toDoubleArray(), 0, rejected, from, chunk.size());
        });
        return given.withReferenceLogps(chosen, rejected);
    }

    /** Hands {@code all} to {@code action} batch_size pairs at a time, with the position of each chunk's first. */
    private void forEachChunk(PreferencePairs all, java.util.function.BiConsumer<Integer, PreferencePairs> action) {
        for (int from = 0; from < all.size(); from += batchSize) {
            action.accept(from, all.select(range(from, Math.min(all.size(), from + batchSize))));
        }
    }

    /**
     * Loads the β fitted by {@code betalab fit-beta} in the directory {@code beta_from} names into
     * {@code beta}; the config's β section must be the fitted one, so the run records what it trains.
     */
    private static void startFromFitted(Config config, BetaEstimator beta) {
        java.nio.file.Path dir = java.nio.file.Path.of(config.get(BETA_FROM));
        Map<String, Object> fitted;
        Map<String, double[]> state;
        try {
            fitted = RunFiles.JSON.readValue(dir.resolve(RunDirectory.CONFIG).toFile(),
                    new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { });
            state = RunFiles.JSON.readValue(dir.resolve(RunDirectory.FITTED_BETA).toFile(),
                    new com.fasterxml.jackson.core.type.TypeReference<Map<String, double[]>>() { });
        } catch (java.io.IOException e) {
            throw config.error("beta_from", "names " + dir + ", which holds no completed fit-beta run ("
                    + RunDirectory.CONFIG + " and " + RunDirectory.FITTED_BETA + " are needed): "
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such file " + e.getMessage()
                    : RunFiles.reason(e)));
        }
        Object fittedBeta = fitted.get("beta");
        Map<String, Object> mine = new LinkedHashMap<>();
        mine.put("name", config.component("beta").name());
        mine.putAll(config.component("beta").knobs());
        if (!RunFiles.JSON.valueToTree(mine).equals(RunFiles.JSON.valueToTree(fittedBeta))) {
            throw config.error("beta", "must be the β fitted in " + dir + ": " + fittedBeta + " (beta_from), "
                    + "not " + mine);
        }
        try {
            beta.loadState(state);
        } catch (IllegalArgumentException e) {
            throw config.error("beta_from", "names a β that does not fit this run's inputs: " + e.getMessage());
        }
    }

    private Policy.Context policyContext(Rng generator) {
        return new Policy.Context(task.vocabularySize(), task.tables(), generator, DType.FLOAT32);
    }

    /** The config with steps, eval_every and checkpoint_every resolved to the numbers the run uses. */
    private static Config derive(Config c, int stepsPerEpoch) {
        int steps = c.get(STEPS);
        int epochs = c.get(EPOCHS);
        if ((steps == 0) == (epochs == 0)) {
            throw c.error("steps", "or 'epochs': give exactly one of them, > 0");
        }
        int total = steps > 0 ? steps : epochs * stepsPerEpoch;
        int eval = c.get(EVAL_EVERY) > 0 ? c.get(EVAL_EVERY) : Math.max(1, total / 10);
        int checkpoint = c.get(CHECKPOINT_EVERY) > 0 ? c.get(CHECKPOINT_EVERY) : eval;
        return c.with(STEPS, total).with(EPOCHS, 0).with(EVAL_EVERY, eval).with(CHECKPOINT_EVERY, checkpoint);
    }

    /** Reads {@code tree} against {@link #SCHEMA}. */
    public static Config resolve(ConfigTree tree, Registry registry) {
        return SCHEMA.resolve(tree, registry);
    }

    /** The resolved config, derived values included: what the run records. */
    public Config config() {
        return config;
    }

    public int steps() {
        return config.get(STEPS);
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /** The training pairs, a frozen reference's log-probabilities with them. */
    PreferencePairs pairs() {
        return pairs;
    }

    @Override
    public Map<String, Tensor> parameters() {
        return parameters;
    }

    @Override
    public int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    @Override
    public void batches(int epoch, int skip, Predicate<int[]> step) {
        if (skip == 0 || order == null) {
            order = permutation(pairs.size());
        }
        int batchSize = config.get(BATCH_SIZE);
        for (int position = skip; position < stepsPerEpoch; position++) {
            int from = position * batchSize;
            int[] picked = new int[Math.min(order.length, from + batchSize) - from];
            System.arraycopy(order, from, picked, 0, picked.length);
            if (!step.test(picked)) {
                return;
            }
        }
    }

    /** A fresh permutation of the training pairs: Fisher–Yates with the run's generator. */
    private int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        double[] u = rng.uniform(n, 0, 1);
        for (int i = n - 1; i > 0; i--) {
            int j = Math.min(i, (int) (u[i] * (i + 1)));
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    @Override
    public StepResult forward(int[] positions) {
        PreferencePairs selected = pairs.select(positions);
        Scored scored = scored(selected);
        PreferenceBatch batch = scored.batch();
        PreferenceObjective.Evaluation e = objective.train(batch);
        PreferenceMetrics metrics = PreferenceMetrics.of(batch, e.beta(), e.perPair(), beta.baseBeta());
        int[][] completions = completions(selected);
        if (batch.distributions() != null) {
            for (int j = 0; j < completions.length; j++) {
                tokensSeen += selected.prompts()[j % selected.size()].length + completions[j].length;
            }
            metrics.addTokens(batch.distributions().policy(), completions, tokensSeen);
        }
        if (scored.logitMeans() != null) {
            metrics.addLogits(scored.logitMeans(), completions);
        }
        return new StepResult(e.loss(), Map.of("beta", e.beta()), metrics);
    }

    /**
     * The batch of these pairs: the policy's and the reference's scores of both completions (each
     * prompt read once; the reference's from the pairs where they were computed beforehand), the
     * prompts' features and the policy's representation of them.
     */
    PreferenceBatch batch(PreferencePairs selected) {
        return scored(selected).batch();
    }

    /** A batch, and the policy's mean logits at each completion position where it gives them ([2n, T]). */
    private record Scored(PreferenceBatch batch, Tensor logitMeans) {
    }

    private Scored scored(PreferencePairs selected) {
        int n = selected.size();
        Policy.Sequences sequences = sequences(selected);
        Policy.Scores scores = policy.score(sequences);
        Tensor[] sums = sums(scores, selected);
        Tensor refChosen;
        Tensor refRejected;
        PreferenceBatch.Distributions distributions = null;
        if (selected.hasReferenceLogps()) {
            refChosen = Tensor.of(sums[0].dtype(), selected.referenceChosen(), n);
            refRejected = Tensor.of(sums[0].dtype(), selected.referenceRejected(), n);
            if (scores.vocabularyLogps() != null) {
                distributions = PreferenceBatch.Distributions.withLazyReference(scores.vocabularyLogps(), () -> {
                    try (var noGrad = Tensor.noGrad()) {
                        return reference.score(sequences).vocabularyLogps();
                    }
                });
            }
        } else {
            Policy.Scores ref;
            try (var noGrad = Tensor.noGrad()) {
                ref = reference.score(sequences);
            }
            Tensor[] refSums = sums(ref, selected);
            refChosen = refSums[0];
            refRejected = refSums[1];
            if (scores.vocabularyLogps() != null && ref.vocabularyLogps() != null) {
                distributions = new PreferenceBatch.Distributions(scores.vocabularyLogps(), ref.vocabularyLogps());
            }
        }
        int[] first = range(0, n);
        int[] second = range(n, 2 * n);
        PreferenceBatch.Builder b = PreferenceBatch.of(sums[0], sums[1], refChosen, refRejected)
                .lengths(scores.lengths().gather(first), scores.lengths().gather(second))
                .tokens(rows(scores.tokenLogps(), first), rows(scores.tokenLogps(), second))
                .representation(scores.representation())
                .distributions(distributions);
        if (scores.promptLogps() != null) {
            b.prompt(scores.promptLogps(), scores.promptLengths());
        }
        if (selected.featureDim() > 0) {
            b.features(Tensor.of(DType.FLOAT32, selected.features(), n, selected.featureDim()));
        }
        return new Scored(b.build(), scores.logitMeans());
    }

    /** Pair i's chosen completion as completion i, its rejected one as n + i, both continuing prompt i. */
    private static Policy.Sequences sequences(PreferencePairs selected) {
        int n = selected.size();
        int[] promptOf = new int[2 * n];
        for (int i = 0; i < n; i++) {
            promptOf[i] = i;
            promptOf[n + i] = i;
        }
        return new Policy.Sequences(selected.prompts(), completions(selected), promptOf);
    }

    private static int[][] completions(PreferencePairs selected) {
        int n = selected.size();
        int[][] completions = new int[2 * n][];
        System.arraycopy(selected.chosen(), 0, completions, 0, n);
        System.arraycopy(selected.rejected(), 0, completions, n, n);
        return completions;
    }

    /**
     * The chosen and the rejected completions' log-probabilities from their scores: the sums, or with
     * LD-DPO's ld_alpha &lt; 1, each token past the shorter completion's length weighted by it.
     */
    private Tensor[] sums(Policy.Scores scores, PreferencePairs selected) {
        int n = selected.size();
        Tensor all = scores.sums();
        if (ldAlpha < 1) {
            int width = scores.tokenLogps().dim(1);
            double[] weights = new double[2 * n * width];
            for (int i = 0; i < n; i++) {
                int shared = Math.min(selected.chosen()[i].length, selected.rejected()[i].length);
                for (int t = 0; t < width; t++) {
                    double w = t < shared ? 1 : ldAlpha;
                    weights[i * width + t] = w;
                    weights[(n + i) * width + t] = w;
                }
            }
            // tokenLogps is 0 past each completion's length, so only its own tokens count.
            all = scores.tokenLogps().mul(Tensor.of(scores.tokenLogps().dtype(), weights, 2 * n, width)).sum(1);
        }
        return new Tensor[] {all.gather(range(0, n)), all.gather(range(n, 2 * n))};
    }

    private static Tensor rows(Tensor table, int[] rows) {
        int width = table.dim(1);
        int[] index = new int[rows.length * width];
        for (int i = 0; i < rows.length; i++) {
            for (int t = 0; t < width; t++) {
                index[i * width + t] = rows[i] * width + t;
            }
        }
        return table.gather(index).reshape(rows.length, width);
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }

    @Override
    public Map<String, Stateful> state() {
        Map<String, Stateful> state = new LinkedHashMap<>();
        state.put("policy", policy);
        state.put("reference", reference);
        state.put("beta", beta);
        if (!objective.loss().state().isEmpty()) {
            // Only a loss with running statistics (bco_pair's shift) has any, so older checkpoints still load.
            state.put("loss", objective.loss());
        }
        state.put("rng", rng);
        state.put("order", new Stateful() {
            @Override
            public Map<String, double[]> state() {
                Map<String, double[]> s = new LinkedHashMap<>();
                if (order != null) {
                    s.put("order", java.util.Arrays.stream(order).asDoubleStream().toArray());
                }
                if (tokensSeen > 0) {
                    s.put("tokens_seen", new double[] {tokensSeen});
                }
                return s;
            }

            @Override
            public void loadState(Map<String, double[]> saved) {
                double[] o = saved.get("order");
                order = o == null ? null : java.util.Arrays.stream(o).mapToInt(v -> (int) v).toArray();
                double[] seen = saved.get("tokens_seen");
                tokensSeen = seen == null ? 0 : (long) seen[0];
            }
        });
        return state;
    }

    /**
     * The task's evaluation of the policy, and the mean β of flipped and of clean training pairs (β read
     * batch_size pairs at a time, as the scheme sees them in training).
     */
    Map<String, Object> evaluate(int step) {
        Map<String, Object> m = new LinkedHashMap<>(evaluator.evaluate(policy, reference));
        double[] betas = trainingPairs()[1];
        double flipped = 0;
        double clean = 0;
        int flippedCount = 0;
        for (int i = 0; i < betas.length; i++) {
            if (pairs.flipped()[i]) {
                flipped += betas[i];
                flippedCount++;
            } else {
                clean += betas[i];
            }
        }
        m.put("eval/beta_clean", clean / (betas.length - flippedCount));
        m.put("eval/beta_flipped", flippedCount == 0 ? Double.NaN : flipped / flippedCount);
        return m;
    }

    /** The learning rate by step (warm-up and decay), set before each update. */
    private TrainingListener schedule() {
        return new LearningRateSchedule(config.section("schedule"), optimizer, steps());
    }

    /** TR-DPO: every {@code every} steps the reference moves to α·πθ + (1 − α)·π_ref. */
    private TrainingListener referenceSync() {
        Settings sync = config.section("reference_sync");
        String mode = sync.get(SYNC_MODE);
        double weight = mode.equals("hard") ? 1.0 : sync.get(SYNC_ALPHA);
        return new TrainingListener() {
            @Override
            public void onStepEnd(Progress progress) {
                if (mode.equals("none") || progress.step() == 0 || progress.step() % sync.get(SYNC_EVERY) != 0) {
                    return;
                }
                try (var noGrad = Tensor.noGrad()) {
                    List<Tensor> target = reference.parameters();
                    List<Tensor> source = policy.parameters();
                    for (int i = 0; i < target.size(); i++) {
                        target.get(i).scaleInPlace(1 - weight).addInPlace(source.get(i), weight);
                    }
                }
            }
        };
    }

    /** Every training pair's margin h and β now, batch_size pairs at a time: {margins, betas}. */
    private double[][] trainingPairs() {
        double[] margins = new double[pairs.size()];
        double[] betas = new double[pairs.size()];
        try (var noGrad = Tensor.noGrad()) {
            forEachChunk(pairs, (from, chunk) -> {
                PreferenceBatch b = batch(chunk);
                System.arraycopy(b.margin().toDoubleArray(), 0, margins, from, chunk.size());
                System.arraycopy(objective.evaluate(b).beta().toDoubleArray(), 0, betas, from, chunk.size());
            });
        }
        return new double[][] {margins, betas};
    }

    /** Every training pair's final margin h and β, and whether its label was flipped: pairs.csv. */
    private TrainingListener pairsFile(RunDirectory run) {
        return new TrainingListener() {
            @Override
            public void onEnd(Progress progress, String status, RuntimeException error) {
                if (!"completed".equals(status)) {
                    return;
                }
                double[][] now = trainingPairs();
                List<List<?>> rows = new ArrayList<>();
                for (int i = 0; i < pairs.size(); i++) {
                    rows.add(List.of(now[0][i], now[1][i], pairs.flipped()[i]));
                }
                run.writeCsv("pairs.csv", List.of("margin", "beta", "flipped"), rows);
            }
        };
    }

    /**
     * The examples the task's evaluator shows (completions of fixed prompts, say), at each evaluation:
     * samples/step-N.json, rewritten alike by a resumed run.
     */
    private TrainingListener samplesFiles(RunDirectory run) {
        return new TrainingListener() {
            @Override
            public void onStepEnd(Progress progress) {
                List<Map<String, Object>> samples = evaluator.samples();
                if (!progress.row().containsKey(evaluator.headline()) || samples.isEmpty()) {
                    return;
                }
                try {
                    java.nio.file.Files.createDirectories(run.path().resolve(SAMPLES));
                } catch (java.io.IOException e) {
                    throw new IllegalStateException("cannot create " + run.path().resolve(SAMPLES) + ": "
                            + RunFiles.reason(e), e);
                }
                run.writeJson(SAMPLES + "/" + String.format("step-%06d.json", progress.step()), samples);
            }
        };
    }

    /** The folder of a run directory that holds the evaluator's examples. */
    public static final String SAMPLES = "samples";

    /**
     * The listeners of a recorded run, in the order they act: checks, clipping, metrics, evaluation
     * (reported to {@code onEvaluation}), the reference update, the run's files and checkpoints.
     */
    private List<TrainingListener> listeners(RunDirectory run, Consumer<Map<String, Object>> onEvaluation) {
        Map<String, Stateful> saved = new LinkedHashMap<>(state());
        saved.put("optimizer", optimizer);
        TrainingListener report = new TrainingListener() {
            @Override
            public void onStepEnd(Progress progress) {
                if (progress.row().containsKey(evaluator.headline())) {
                    onEvaluation.accept(progress.row());
                }
            }
        };
        MetricsLogger logger = new MetricsLogger(config.get(LOG_EVERY));
        return List.of(new NonFiniteCheck(), new GradientClipping(config.get(GRAD_CLIP)), schedule(), logger,
                new Evaluation(config.get(EVAL_EVERY), true, this::evaluate), samplesFiles(run), referenceSync(),
                run.bestBy(evaluator.headline(), evaluator.higherIsBetter()), pairsFile(run),
                new Checkpoints(config.get(CHECKPOINT_EVERY), run, saved, logger), report);
    }

    /**
     * Trains a new run into {@code dir}, stopping (as if interrupted) after {@code stopAfter} steps;
     * evaluations are reported to {@code onEvaluation} as they come.
     */
    public static RunDirectory.Summary train(Registry registry, Config config, Path dir, int stopAfter,
                                             Consumer<Map<String, Object>> onEvaluation) {
        RunDirectory.refuseExisting(dir);
        return train(registry, config, () -> dir, stopAfter, onEvaluation);
    }

    /**
     * As {@link #train(Registry, Config, Path, int, Consumer)}, into the directory {@code directory}
     * gives once everything is built (a fresh unique one, say), so a bad config leaves nothing behind.
     */
    public static RunDirectory.Summary train(Registry registry, Config config, java.util.function.Supplier<Path> directory,
                                             int stopAfter, Consumer<Map<String, Object>> onEvaluation) {
        PreferenceTraining training = new PreferenceTraining(config, registry);
        Path dir = directory.get();
        Map<String, Object> provenance = new LinkedHashMap<>(Provenance.of(registry));
        provenance.put("seed", config.get(SEED));
        if (config.get(BETA_FROM) != null) {
            Path fitted = Path.of(config.get(BETA_FROM)).resolve(RunDirectory.FITTED_BETA);
            provenance.put("beta_from", Map.of("path", fitted.toAbsolutePath().toString(), "sha256",
                    Provenance.sha256(fitted)));
        }
        RunDirectory run = RunDirectory.create(dir, training.config().toMap(), provenance)
                .resumeWith("betalab train --resume " + dir);
        try {
            training.trainer(run, onEvaluation).run(0, stopAfter);
        } finally {
            run.close();
        }
        return run.summary();
    }

    /**
     * Trains in memory: the same loop, checks, clipping and metrics, without evaluation, checkpoints
     * or files (what the benchmarks time); returns the last step's row.
     */
    public static Map<String, Object> trainInMemory(Registry registry, Config config) {
        PreferenceTraining training = new PreferenceTraining(config, registry);
        Map<String, Object> last = new LinkedHashMap<>();
        TrainingListener keepLast = new TrainingListener() {
            @Override
            public void onStepEnd(Progress progress) {
                last.clear();
                last.putAll(progress.row());
            }
        };
        new Trainer<>(training, training.optimizer, training.steps(), List.of(new NonFiniteCheck(),
                new GradientClipping(config.get(GRAD_CLIP)), training.schedule(), new MetricsLogger(config.get(LOG_EVERY)),
                keepLast))
                .run(0);
        return last;
    }

    /**
     * Continues the run in {@code dir} from its latest checkpoint, under the set-up it was started
     * with: its own config, and the same backend, extensions and plugin jars (refused otherwise).
     */
    public static RunDirectory.Summary resume(Registry registry, Path dir, Consumer<Map<String, Object>> onEvaluation) {
        RunDirectory run = RunDirectory.open(dir).resumeWith("betalab train --resume " + dir);
        try {
            run.requireSameSetUp(registry);
            Config config = resolve(ConfigTree.of(run.config(), dir.resolve(RunDirectory.CONFIG).toString()), registry);
            PreferenceTraining training = new PreferenceTraining(config, registry);
            Map<String, Stateful> saved = new LinkedHashMap<>(training.state());
            saved.put("optimizer", training.optimizer);
            int step = run.resume(saved);
            LOG.info("resuming {} at step {}", dir, step);
            training.trainer(run, onEvaluation).run(step);
        } finally {
            run.close();
        }
        return run.summary();
    }

    private Trainer<int[]> trainer(RunDirectory run, Consumer<Map<String, Object>> onEvaluation) {
        return new Trainer<>(this, optimizer, steps(), listeners(run, onEvaluation));
    }
}
