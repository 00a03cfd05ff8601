package betalab.lm.sft;

import betalab.api.Stateful;
import betalab.api.optim.Optimizer;
import betalab.api.policy.Policy;
import betalab.api.random.Rng;
import betalab.api.registry.Knob;
import betalab.api.registry.Registry;
import betalab.api.registry.Settings;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import betalab.data.fit.BetaFitter;
import betalab.lm.Corpus;
import betalab.models.hf.LlamaConfig;
import betalab.models.transformer.LlamaModel;
import betalab.models.transformer.TransformerPolicy;
import betalab.training.Checkpoints;
import betalab.training.Config;
import betalab.training.ConfigSchema;
import betalab.training.ConfigTree;
import betalab.training.Evaluation;
import betalab.training.GradientClipping;
import betalab.training.LearningRateSchedule;
import betalab.training.MetricsLogger;
import betalab.training.NonFiniteCheck;
import betalab.training.PreferenceTraining;
import betalab.training.Progress;
import betalab.training.Provenance;
import betalab.training.RunDirectory;
import betalab.training.RunFiles;
import betalab.training.StepMetrics;
import betalab.training.StepResult;
import betalab.training.Trainable;
import betalab.training.Trainer;
import betalab.training.TrainingListener;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supervised fine-tuning of the {@code transformer} policy on a text corpus ({@code betalab sft}):
 * the documents are tokenized once and packed, each followed by the end-of-text token, into one
 * training and one validation stream; every step trains on {@code batch_size} windows of
 * {@code context} + 1 tokens at positions drawn with the run's generator, by the mean next-token
 * cross-entropy, with AdamW (or any optimizer) under a learning-rate schedule and gradient clipping;
 * the validation loss is measured on fixed windows of the held-out documents. The run directory is
 * the usual one, plus the packed token streams ({@code train.tokens}, {@code validation.tokens}:
 * little-endian int32) and, once completed, a Hugging Face model directory {@code model/}
 * (config.json, model.safetensors, tokenizer.json).
 */
public final class SftTraining implements Trainable<int[]> {
    private static final Logger LOG = LoggerFactory.getLogger(SftTraining.class);
    private static final String RESUME = "betalab sft --resume ";

    /** The Hugging Face model directory a completed run holds. */
    public static final String MODEL = "model";
    /** The packed token streams a run trains and validates on, little-endian int32. */
    public static final String TRAIN_TOKENS = "train.tokens";
    public static final String VALIDATION_TOKENS = "validation.tokens";

    public static final Knob<Long> SEED = Knob.longInteger("seed", 0,
            "seeds every random draw: the initial weights and the training windows");
    public static final Knob<Integer> STEPS = Knob.integer("steps", 0, "optimizer steps (≥ 1)").atLeast(0);
    public static final Knob<Integer> BATCH_SIZE = Knob.integer("batch_size", 16, "windows per step").positive();
    public static final Knob<Integer> CONTEXT = Knob.integer("context", 128,
            "tokens per window the model reads (each predicting the next); at most the policy's "
                    + "max_position_embeddings").positive();
    public static final Knob<Integer> EVAL_BATCHES = Knob.integer("eval_batches", 0,
            "validation batches of batch_size windows, spread evenly over the held-out text; 0 for all of it")
            .atLeast(0);
    public static final Knob<Integer> LOG_EVERY = PreferenceTraining.LOG_EVERY.withDefault(10);
    public static final Knob<Double> GRAD_CLIP = PreferenceTraining.GRAD_CLIP.withDefault(1.0);

    public static final Knob<String> CORPUS_FILE = Knob.text("file", null,
            "a UTF-8 text file, one document a line; a relative path is taken from the config file's folder");
    public static final Knob<Integer> VALIDATION_EVERY = Knob.integer("validation_every", 10,
            "every n-th document is held out for the validation loss").atLeast(2);

    public static final Knob<String> TOKENIZER_FILE = Knob.text("file", "",
            "a tokenizer.json to use (a relative path is taken from the config file's folder); empty to learn a "
                    + "byte-level BPE from the training documents");
    public static final Knob<Integer> VOCAB_SIZE = Knob.integer("vocab_size", 0,
            "tokens of the byte-level BPE learned when file is empty (256 bytes, the merges, the end-of-text "
                    + "token); with a file, 0 or the file's size").atLeast(0);
    public static final Knob<String> EOS_TOKEN = Knob.text("eos_token", "<|endoftext|>",
            "the end-of-text token that follows every packed document: the learned BPE's special token, or "
                    + "one token of the file");

    /** What an SFT config holds. */
    public static final ConfigSchema SCHEMA = ConfigSchema.of(List.of(SEED, PreferenceTraining.RNG, STEPS,
                    BATCH_SIZE, CONTEXT, PreferenceTraining.EVAL_EVERY, EVAL_BATCHES, LOG_EVERY,
                    PreferenceTraining.CHECKPOINT_EVERY, GRAD_CLIP))
            .section("corpus", List.of(CORPUS_FILE, VALIDATION_EVERY, BetaFitter.SHA256))
            .section("tokenizer", List.of(TOKENIZER_FILE, VOCAB_SIZE, EOS_TOKEN))
            .component("policy", Policy.POINT, "transformer", Map.of())
            .component("optimizer", Optimizer.POINT, "adamw", Map.of())
            .section("schedule", LearningRateSchedule.KNOBS);

    private final Config config;
    private final Corpus corpus;
    private final SftTokenizer tokenizer;
    private final int[] train;
    private final int[] validation;
    private final int[] evalStarts;
    private final Rng rng;
    private final TransformerPolicy policy;
    private final LlamaModel model;
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Optimizer optimizer;
    private final int context;
    private final int batchSize;
    private final int stepsPerEpoch;

    /** Reads the corpus, makes the tokenizer, packs the text and builds the model; bad input fails here, before anything is written. */
    private SftTraining(Config resolved, Registry registry) {
        if (resolved.get(STEPS) < 1) {
            throw resolved.error("steps", "must be given, ≥ 1");
        }
        context = resolved.get(CONTEXT);
        batchSize = resolved.get(BATCH_SIZE);
        Config.Choice chosen = resolved.component("policy");
        if (!chosen.name().equals("transformer")) {
            throw resolved.error("policy.name", "is '" + chosen.name() + "', but SFT trains the causal language "
                    + "model 'transformer'");
        }
        String from = chosen.settings().text("from");
        LlamaConfig pretrained = from.isEmpty() ? null : LlamaConfig.readDirectory(Path.of(from));
        int positions = pretrained == null ? chosen.settings().integer("max_position_embeddings")
                : pretrained.maxPositionEmbeddings();
        if (context > positions) {
            throw resolved.error("context", "is " + context + ", longer than the policy's max_position_embeddings "
                    + positions);
        }

        Settings corpusSettings = resolved.section("corpus");
        String corpusPath = corpusSettings.get(CORPUS_FILE);
        if (corpusPath == null || corpusPath.isBlank()) {
            throw resolved.error("corpus.file", "is missing: name the text file to train on");
        }
        Path corpusFile = Path.of(corpusPath);
        String sha256 = Provenance.sha256(corpusFile);
        String expected = corpusSettings.get(BetaFitter.SHA256);
        if (expected != null && !expected.equalsIgnoreCase(sha256)) {
            throw resolved.error("corpus.sha256", "is " + expected + ", but " + corpusFile + " has SHA-256 " + sha256
                    + ": the file changed since the config was written");
        }
        corpus = Corpus.read(corpusFile, corpusSettings.get(VALIDATION_EVERY));

        Settings tokenizerSettings = resolved.section("tokenizer");
        tokenizer = tokenizer(resolved, tokenizerSettings);
        try {
            if (pretrained != null && pretrained.vocabSize() < tokenizer.size()) {
                throw resolved.error("policy.from", "names a model of vocab_size " + pretrained.vocabSize()
                        + ", fewer than the " + tokenizer.size() + " tokens of the tokenizer"
                        + (tokenizerSettings.get(TOKENIZER_FILE).isEmpty() ? "" : " "
                        + tokenizerSettings.get(TOKENIZER_FILE)));
            }
            train = pack(corpus.train());
            validation = pack(corpus.validation());
        } finally {
            tokenizer.close();
        }
        requireWindow(resolved, train, "training");
        requireWindow(resolved, validation, "held-out");

        Config withTokens = resolved.withSection("corpus", BetaFitter.SHA256.name(), sha256)
                .withSection("tokenizer", VOCAB_SIZE.name(), tokenizer.size());
        if (pretrained == null) {
            int eos = chosen.settings().integer("eos_token_id");
            if (eos >= 0 && eos != tokenizer.endOfText()) {
                throw resolved.error("policy.eos_token_id", "is " + eos + ", but the tokenizer's end-of-text token '"
                        + tokenizerSettings.get(EOS_TOKEN) + "' has id " + tokenizer.endOfText()
                        + "; leave it out to take that one");
            }
            withTokens = withPolicyKnob(withTokens, registry, "eos_token_id", tokenizer.endOfText());
        }
        config = derive(withTokens);

        rng = Rng.named(config.get(PreferenceTraining.RNG), config.get(SEED));
        int vocabulary = pretrained == null ? tokenizer.size() : pretrained.vocabSize();
        policy = (TransformerPolicy) config.create(registry, "policy", Policy.POINT,
                new Policy.Context(vocabulary, Map.of(), rng, DType.FLOAT32));
        model = policy.model();
        policy.namedParameters().forEach((name, p) -> parameters.put("policy." + name, p));
        optimizer = config.create(registry, "optimizer", Optimizer.POINT, List.copyOf(parameters.values()));
        stepsPerEpoch = Math.max(1, (int) Math.ceil((train.length - 1) / (double) (batchSize * context)));
        evalStarts = evaluationWindows(config.get(EVAL_BATCHES) * batchSize);
    }

    /** The tokenizer the config names, or one learned from the training documents. */
    private SftTokenizer tokenizer(Config resolved, Settings settings) {
        String file = settings.get(TOKENIZER_FILE);
        int vocabSize = settings.get(VOCAB_SIZE);
        String endOfText = settings.get(EOS_TOKEN);
        if (!file.isEmpty()) {
            SftTokenizer given = SftTokenizer.read(Path.of(file), endOfText);
            if (vocabSize != 0 && vocabSize != given.size()) {
                given.close();
                throw resolved.error("tokenizer.vocab_size", "is " + vocabSize + ", but the tokenizer " + file
                        + " has " + given.size() + " tokens");
            }
            return given;
        }
        if (vocabSize == 0) {
            throw resolved.error("tokenizer.vocab_size", "must be given to learn a tokenizer from the corpus "
                    + "(or name one with tokenizer.file)");
        }
        try {
            return SftTokenizer.learn(corpus.train(), vocabSize, endOfText);
        } catch (IllegalArgumentException e) {
            throw resolved.error("tokenizer.vocab_size", "cannot be learned: " + e.getMessage());
        }
    }

    /** The documents' tokens, each document followed by the end-of-text token. */
    private int[] pack(List<String> documents) {
        List<int[]> encoded = new ArrayList<>();
        int total = 0;
        for (String document : documents) {
            int[] ids = tokenizer.encode(document);
            encoded.add(ids);
            total += ids.length + 1;
        }
        int[] stream = new int[total];
        int at = 0;
        for (int[] ids : encoded) {
            System.arraycopy(ids, 0, stream, at, ids.length);
            at += ids.length;
            stream[at++] = tokenizer.endOfText();
        }
        return stream;
    }

    private void requireWindow(Config resolved, int[] stream, String which) {
        if (stream.length < context + 1) {
            throw resolved.error("context", "is " + context + ", but the " + which + " documents of "
                    + corpus.file() + " hold only " + stream.length + " tokens; a window needs context + 1");
        }
    }

    /** The config with one knob of the policy section set (a value the run derived), every other value kept. */
    private static Config withPolicyKnob(Config c, Registry registry, String knob, Object value) {
        Map<String, Object> tree = c.toMap();
        @SuppressWarnings("unchecked")
        Map<String, Object> policy = (Map<String, Object>) tree.get("policy");
        policy.put(knob, value);
        return SCHEMA.resolve(ConfigTree.of(tree, c.source()), registry);
    }

    /** The config with eval_every and checkpoint_every resolved to the numbers the run uses. */
    private static Config derive(Config c) {
        int steps = c.get(STEPS);
        int eval = c.get(PreferenceTraining.EVAL_EVERY) > 0 ? c.get(PreferenceTraining.EVAL_EVERY)
                : Math.max(1, steps / 10);
        int checkpoint = c.get(PreferenceTraining.CHECKPOINT_EVERY) > 0 ? c.get(PreferenceTraining.CHECKPOINT_EVERY)
                : eval;
        return c.with(PreferenceTraining.EVAL_EVERY, eval).with(PreferenceTraining.CHECKPOINT_EVERY, checkpoint);
    }

    /**
     * Where the validation windows start: the held-out stream cut into consecutive windows (each
     * token after the first predicted once), or {@code count} of them spread evenly when fewer.
     */
    private int[] evaluationWindows(int count) {
        int all = (validation.length - 1) / context;
        int n = count == 0 ? all : Math.min(count, all);
        int[] starts = new int[n];
        for (int i = 0; i < n; i++) {
            starts[i] = (int) ((long) i * all / n) * context;
        }
        return starts;
    }

    /**
     * Reads {@code tree} against {@link #SCHEMA}; relative corpus and tokenizer paths are taken from
     * {@code folder} (the config file's; null to keep them) and recorded absolute.
     */
    public static Config resolve(ConfigTree tree, Registry registry, Path folder) {
        Config c = SCHEMA.resolve(tree, registry);
        c = absolute(c, "corpus", CORPUS_FILE, folder);
        return absolute(c, "tokenizer", TOKENIZER_FILE, folder);
    }

    private static Config absolute(Config c, String section, Knob<String> knob, Path folder) {
        String path = c.section(section).get(knob);
        if (path == null || path.isBlank() || folder == null || Path.of(path).isAbsolute()) {
            return c;
        }
        return c.withSection(section, knob.name(), folder.resolve(path).normalize().toAbsolutePath().toString());
    }

    /** A config file, read and resolved. */
    public static Config read(Path file, Registry registry) {
        return resolve(ConfigTree.read(file), registry, file.toAbsolutePath().getParent());
    }

    /** The resolved config, derived values included: what the run records. */
    public Config config() {
        return config;
    }

    /** Tokens one step trains on. */
    public int tokensPerStep() {
        return batchSize * context;
    }

    @Override
    public Map<String, Tensor> parameters() {
        return parameters;
    }

    @Override
    public int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    /** An epoch is as many steps as take in about the training text's tokens; each batch is drawn as it is needed. */
    @Override
    public void batches(int epoch, int skip, Predicate<int[]> step) {
        int last = train.length - context - 1;
        for (int position = skip; position < stepsPerEpoch; position++) {
            double[] u = rng.uniform(batchSize, 0, 1);
            int[] starts = new int[batchSize];
            for (int i = 0; i < batchSize; i++) {
                starts[i] = Math.min(last, (int) (u[i] * (last + 1)));
            }
            if (!step.test(starts)) {
                return;
            }
        }
    }

    @Override
    public StepResult forward(int[] starts) {
        Measured m = measure(train, starts);
        return new StepResult(m.loss(), Map.of(), new TokenCounts(m.correct(), m.tokens()));
    }

    /** A batch's mean next-token cross-entropy, and how many of its tokens the model ranks first. */
    private record Measured(Tensor loss, long correct, long tokens) {
    }

    private Measured measure(int[] stream, int[] starts) {
        int b = starts.length;
        int vocabulary = model.config().vocabSize();
        int[][] inputs = new int[b][context];
        int[] targets = new int[b * context];
        int[] picked = new int[b * context];
        for (int i = 0; i < b; i++) {
            System.arraycopy(stream, starts[i], inputs[i], 0, context);
            for (int j = 0; j < context; j++) {
                int row = i * context + j;
                targets[row] = stream[starts[i] + j + 1];
                picked[row] = row * vocabulary + targets[row];
            }
        }
        Tensor logits = model.forward(inputs).logits();
        Tensor loss = logits.logSumExp(1).sub(logits.gather(picked)).mean();
        double[] values = logits.toDoubleArray();
        long correct = 0;
        for (int row = 0; row < targets.length; row++) {
            int best = 0;
            for (int v = 1; v < vocabulary; v++) {
                if (values[row * vocabulary + v] > values[row * vocabulary + best]) {
                    best = v;
                }
            }
            correct += best == targets[row] ? 1 : 0;
        }
        return new Measured(loss, correct, targets.length);
    }

    /** Tokens and correctly predicted tokens, summed over the steps of a logged row. */
    private static final class TokenCounts implements StepMetrics {
        private long correct;
        private long tokens;

        TokenCounts(long correct, long tokens) {
            this.correct = correct;
            this.tokens = tokens;
        }

        @Override
        public void add(StepMetrics other) {
            correct += ((TokenCounts) other).correct;
            tokens += ((TokenCounts) other).tokens;
        }

        @Override
        public Map<String, Double> values() {
            return Map.of("mean_token_accuracy", (double) correct / tokens);
        }
    }

    /** The validation loss (mean over every predicted token of the validation windows), its exponential, and accuracy. */
    Map<String, Object> evaluate(int step) {
        double lossSum = 0;
        long correct = 0;
        long tokens = 0;
        for (int from = 0; from < evalStarts.length; from += batchSize) {
            int[] starts = java.util.Arrays.copyOfRange(evalStarts, from, Math.min(evalStarts.length, from + batchSize));
            Measured m = measure(validation, starts);
            lossSum += m.loss().item() * m.tokens();
            correct += m.correct();
            tokens += m.tokens();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("eval/loss", lossSum / tokens);
        out.put("eval/perplexity", Math.exp(lossSum / tokens));
        out.put("eval/mean_token_accuracy", (double) correct / tokens);
        return out;
    }

    @Override
    public Map<String, Stateful> state() {
        Map<String, Stateful> state = new LinkedHashMap<>();
        state.put("policy", policy);
        state.put("rng", rng);
        return state;
    }

    private Map<String, Stateful> saved() {
        Map<String, Stateful> saved = new LinkedHashMap<>(state());
        saved.put("optimizer", optimizer);
        return saved;
    }

    /** Facts the summary repeats: documents, tokens, vocabulary and parameters. */
    private Map<String, Object> facts() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("train_documents", corpus.train().size());
        f.put("validation_documents", corpus.validation().size());
        f.put("train_tokens", train.length);
        f.put("validation_tokens", validation.length);
        f.put("eval_tokens", (long) evalStarts.length * context);
        f.put("vocabulary", model.config().vocabSize());
        f.put("parameters", parameters.values().stream().mapToLong(Tensor::size).sum());
        return f;
    }

    /**
     * The listeners of a recorded run, in the order they act: checks, clipping, the schedule, metrics
     * (with the tokens trained so far), validation, the model directory (written before the run
     * records completion), the run's files, checkpoints, and the progress shown on {@code screen}.
     */
    private Trainer<int[]> trainer(RunDirectory run, PrintWriter screen) {
        MetricsLogger logger = new MetricsLogger(config.get(LOG_EVERY));
        List<TrainingListener> listeners = new ArrayList<>(List.of(new NonFiniteCheck(),
                new GradientClipping(config.get(GRAD_CLIP)),
                new LearningRateSchedule(config.section("schedule"), optimizer, config.get(STEPS)), logger,
                new TrainingListener() {
                    @Override
                    public void onStepEnd(Progress progress) {
                        if (progress.row().containsKey("loss")) {
                            progress.row().put("num_tokens", (long) progress.step() * tokensPerStep());
                        }
                    }
                },
                new Evaluation(config.get(PreferenceTraining.EVAL_EVERY), true, this::evaluate),
                new TrainingListener() {
                    @Override
                    public void onEnd(Progress progress, String status, RuntimeException error) {
                        if ("completed".equals(status)) {
                            writeModel(run.path());
                        }
                    }
                },
                run.bestBy("eval/loss", false),
                new Checkpoints(config.get(PreferenceTraining.CHECKPOINT_EVERY), run, saved(), logger)));
        if (screen != null) {
            listeners.add(new ProgressBar(screen, tokensPerStep()));
        }
        return new Trainer<>(this, optimizer, config.get(STEPS), listeners);
    }

    /**
     * The trained model as a Hugging Face directory, {@code model/} in the run: written into
     * {@code model.partial/} first and moved into place, so it is whole or absent.
     */
    private void writeModel(Path runDirectory) {
        Path target = runDirectory.resolve(MODEL);
        Path partial = runDirectory.resolve(MODEL + ".partial");
        try {
            deleteTree(partial);
            Files.createDirectories(partial);
            model.checkpoint().write(partial);
            tokenizer.writeTo(partial, config.section("tokenizer").get(EOS_TOKEN));
            readableByAll(partial);
            deleteTree(target);
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + RunFiles.reason(e), e);
        }
    }

    /** The model's files are results, like the run's others (their writers leave them private to the owner). */
    private static void readableByAll(Path dir) throws IOException {
        if (!dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private void writeTokens(RunDirectory run) {
        for (var stream : Map.of(TRAIN_TOKENS, train, VALIDATION_TOKENS, validation).entrySet()) {
            RunFiles.write(run.path().resolve(stream.getKey()), out -> {
                java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(4 * stream.getValue().length)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
                buffer.asIntBuffer().put(stream.getValue());
                out.write(buffer.array());
            });
        }
    }

    /** Where the corpus and a given tokenizer came from, with their SHA-256. */
    private Map<String, Object> provenance(Registry registry) {
        Map<String, Object> p = new LinkedHashMap<>(Provenance.of(registry));
        p.put("seed", config.get(SEED));
        Path file = corpus.file();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("path", file.toAbsolutePath().toString());
        try {
            c.put("bytes", Files.size(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + RunFiles.reason(e), e);
        }
        c.put("sha256", config.section("corpus").get(BetaFitter.SHA256));
        p.put("corpus", c);
        String tokenizerFile = config.section("tokenizer").get(TOKENIZER_FILE);
        if (!tokenizerFile.isEmpty()) {
            p.put("tokenizer", Map.of("path", Path.of(tokenizerFile).toAbsolutePath().toString(),
                    "sha256", Provenance.sha256(Path.of(tokenizerFile))));
        }
        return p;
    }

    /**
     * Trains a new run into the directory {@code directory} gives once everything is built (a fresh
     * unique one, say), so bad input leaves nothing behind; stops (as if interrupted) after
     * {@code stopAfter} steps. {@code screen} (null for none) shows a progress bar and each evaluation.
     */
    public static RunDirectory.Summary train(Registry registry, Config config, Supplier<Path> directory,
                                             int stopAfter, PrintWriter screen) {
        SftTraining training = new SftTraining(config, registry);
        Path dir = directory.get();
        RunDirectory run = RunDirectory.create(dir, training.config.toMap(), training.provenance(registry))
                .resumeWith(RESUME + dir);
        try {
            training.writeTokens(run);
            run.describe(training.facts());
            training.trainer(run, screen).run(0, stopAfter);
        } finally {
            run.close();
        }
        return run.summary();
    }

    /** As {@link #train(Registry, Config, Supplier, int, PrintWriter)} into {@code dir}, which must not hold a run. */
    public static RunDirectory.Summary train(Registry registry, Config config, Path dir, int stopAfter,
                                             PrintWriter screen) {
        RunDirectory.refuseExisting(dir);
        return train(registry, config, () -> dir, stopAfter, screen);
    }

    /**
     * Continues the run in {@code dir} from its latest checkpoint, under the set-up it was started
     * with (its config, corpus, backend and extensions; refused otherwise), to the same numbers as a
     * run never stopped.
     */
    public static RunDirectory.Summary resume(Registry registry, Path dir, PrintWriter screen) {
        RunDirectory run = RunDirectory.open(dir).resumeWith(RESUME + dir);
        try {
            run.requireSameSetUp(registry);
            Config config = resolve(ConfigTree.of(run.config(), dir.resolve(RunDirectory.CONFIG).toString()),
                    registry, null);
            SftTraining training = new SftTraining(config, registry);
            int step = run.resume(training.saved());
            LOG.info("resuming {} at step {}", dir, step);
            run.describe(training.facts());
            training.trainer(run, screen).run(step);
        } finally {
            run.close();
        }
        return run.summary();
    }
}
