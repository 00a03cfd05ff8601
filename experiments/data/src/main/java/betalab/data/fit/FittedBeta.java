package betalab.data.fit;

import betalab.api.preference.BetaEstimator;
import betalab.api.random.Rng;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.data.PreferenceRecord.Column;
import betalab.training.Config;
import betalab.training.RunDirectory;
import betalab.training.RunFiles;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A β scheme as {@code betalab fit-beta} fitted it, to apply to new pairs ({@code betalab loss
 * --beta-from}) or to start a training run from: the run's {@code config.json} names the scheme and
 * its knobs, {@code beta.json} holds its fitted state (written when the fit completes), and
 * {@code summary.json} the width of the prompt features it reads and the columns its data had.
 */
public final class FittedBeta {
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() { };
    private static final TypeReference<Map<String, double[]>> STATE = new TypeReference<>() { };

    private final Path dir;
    private final Registry registry;
    private final Config config;
    private final Config.Choice scheme;
    private final int featureDim;
    private final List<String> columns;
    private final Map<String, double[]> state;

    private FittedBeta(Path dir, Registry registry, Config config, int featureDim, List<String> columns,
                       Map<String, double[]> state) {
        this.dir = dir;
        this.registry = registry;
        this.config = config;
        this.scheme = config.component("beta");
        this.featureDim = featureDim;
        this.columns = List.copyOf(columns);
        this.state = state;
    }

    /**
     * The β fitted in {@code runDir}; fails with one line when it is no completed fit, or when its
     * scheme (a plugin's, say) is not loaded, or its state does not fit the scheme.
     */
    public static FittedBeta load(Path runDir, Registry registry) {
        if (!Files.isDirectory(runDir)) {
            throw new IllegalArgumentException(runDir + " is no run directory: "
                    + (Files.exists(runDir) ? "it is a file" : "no such directory"));
        }
        Path configFile = runDir.resolve(RunDirectory.CONFIG);
        Map<String, Object> raw = read(configFile, MAP, runDir + " holds no run (no " + RunDirectory.CONFIG + ")");
        if (!(raw.get("data") instanceof Map) || raw.containsKey("task")) {
            throw new IllegalArgumentException(runDir + " holds no fit-beta run: its " + RunDirectory.CONFIG
                    + (raw.containsKey("task") ? " is a training run's" : " has no data section"));
        }
        Config config = BetaFitter.read(configFile, registry);
        Map<String, Object> summary = read(runDir.resolve(RunDirectory.SUMMARY), MAP,
                runDir + " holds no " + RunDirectory.SUMMARY);
        Map<String, double[]> state = read(runDir.resolve(RunDirectory.FITTED_BETA), STATE, runDir + " has no "
                + RunDirectory.FITTED_BETA
                + ": the fit has not completed (status '" + summary.get("status") + "'); finish it with "
                + "betalab fit-beta --resume " + runDir);
        if (!(summary.get("feature_dim") instanceof Number width) || !(summary.get("columns") instanceof List<?> cols)) {
            throw new IllegalArgumentException(runDir.resolve(RunDirectory.SUMMARY)
                    + " does not say the fit's feature_dim and columns");
        }
        FittedBeta fitted = new FittedBeta(runDir, registry, config, width.intValue(),
                cols.stream().map(String::valueOf).toList(), state);
        fitted.create(); // a state that does not fit the scheme fails here, once
        return fitted;
    }

    private static <T> T read(Path file, TypeReference<T> type, String ifMissing) {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            return RunFiles.JSON.readValue(in, type);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(ifMissing);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + file + ": " + RunFiles.reason(e), e);
        }
    }

    /** The fit's run directory. */
    public Path runDir() {
        return dir;
    }

    /** The scheme's registry name. */
    public String scheme() {
        return scheme.name();
    }

    /** Every knob of the scheme as the fit resolved it, common knobs included. */
    public Map<String, Object> knobs() {
        return scheme.knobs();
    }

    /** The width of the prompt features the scheme reads; 0 when the fit had none. */
    public int featureDim() {
        return featureDim;
    }

    /** The field of the fit's data that held the prompt features; null when it had none. */
    public String featureField() {
        return config.section("data").get(BetaFitter.FEATURES);
    }

    /** Whether the fit's data gave each completion's length (the scheme may read them). */
    public boolean hasLengths() {
        return columns.contains(Column.CHOSEN_LENGTH.field());
    }

    /** Whether the fit's data gave each prompt's log-probability and length (ppl_scaled reads them). */
    public boolean hasPrompt() {
        return columns.contains(Column.PROMPT_LOGPS.field());
    }

    /**
     * The fit's batch size: a scheme whose β reads its whole batch (β-DPO's batch level) gave β
     * over batches of this many pairs.
     */
    public int batchSize() {
        return config.get(BetaFitter.BATCH_SIZE);
    }

    /** The fitted state, by entry name, as {@code beta.json} holds it. */
    public Map<String, double[]> state() {
        return state;
    }

    /** How messages name it: "the β fitted in DIR (scheme)". */
    public String describe() {
        return "the β fitted in " + dir + " (" + scheme() + ")";
    }

    /** The scheme with its fitted state, built as the fit built it (float32, prompt features only). */
    public BetaEstimator create() {
        return create(new BetaEstimator.Context(featureDim, 0, Rng.named(config.get(BetaFitter.RNG),
                config.get(BetaFitter.SEED)), DType.FLOAT32));
    }

    /**
     * The scheme built in {@code context} (a training run's, say: its generator makes the initial
     * draws the fitted state then replaces), with the fitted state; fails with one line when the
     * context's prompt features are not as wide as the fit's.
     */
    public BetaEstimator create(BetaEstimator.Context context) {
        if (featureDim > 0 && context.featureDim() != featureDim) {
            throw new IllegalArgumentException(describe() + " reads " + featureDim + " prompt features, but "
                    + (context.featureDim() == 0 ? "none are given" : context.featureDim() + " are given"));
        }
        BetaEstimator beta;
        try {
            beta = registry.create(BetaEstimator.POINT, scheme(), knobs(), context);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(describe() + ": " + e.getMessage(), e);
        }
        try {
            beta.loadState(state);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(dir.resolve(RunDirectory.FITTED_BETA) + ": " + e.getMessage()
                    + " (does it belong to this run's config.json?)", e);
        }
        return beta;
    }
}
