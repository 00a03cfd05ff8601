package betalab.seed;

import betalab.api.optim.Optimizer;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.preference.PreferenceObjective;
import betalab.api.random.Rng;
import betalab.api.registry.Knob;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import betalab.training.Config;
import betalab.training.ConfigSchema;
import betalab.training.Evaluation;
import betalab.training.GradientClipping;
import betalab.training.MetricsLogger;
import betalab.training.NonFiniteCheck;
import betalab.training.PreferenceMetrics;
import betalab.training.Progress;
import betalab.training.Provenance;
import betalab.training.RunDirectory;
import betalab.training.StepResult;
import betalab.training.Trainable;
import betalab.training.Trainer;
import betalab.training.TrainingListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The seed document's experiment: β(x) trained alone on fixed margins Δ with
 * L = −mean log σ(β(x)·Δ), one full batch per epoch, on the one training loop. Data and initial
 * weights are drawn in the document's order (x, y_w, y_l, noise, then the network), so with the
 * torch generator every number matches its PyTorch script.
 */
public final class SeedExperiment implements Trainable<PreferenceBatch> {
    public static final Knob<Long> SEED = Knob.longInteger("seed", 42, "generator seed (torch.manual_seed)");
    public static final Knob<Integer> EPOCHS = Knob.integer("epochs", 200, "full-batch training steps").positive();
    public static final Knob<Integer> SAMPLES = Knob.integer("samples", 20,
            "number of pairs; the first half get Δ > 0, the rest Δ < 0").atLeast(2);
    public static final Knob<Integer> DIM = Knob.integer("dim", 5, "width of each prompt's feature vector x")
            .positive();
    public static final Knob<String> RNG = Knob.text("rng", "torch",
            "torch draws as PyTorch's CPU generator does; java uses the JDK's", "torch", "java");

    /**
     * What a seed run is. The defaults are the document's printed run (200 epochs, not the 1000 its
     * listing says): β(x) = softplus(MLP(x)) with one hidden layer of 10, the sigmoid loss, Adam at 0.01.
     */
    public static final ConfigSchema SCHEMA = ConfigSchema.of(List.of(SEED, EPOCHS, SAMPLES, DIM, RNG))
            .component("beta", BetaEstimator.POINT, "softplus_mlp", Map.of("hidden", List.of(10)))
            .component("loss", PreferenceLoss.POINT, "sigmoid", Map.of())
            .component("optimizer", Optimizer.POINT, "adam", Map.of("lr", 0.01));

    private final Config config;
    private final Tensor delta;
    private final PreferenceBatch batch;
    private final BetaEstimator beta;
    private final PreferenceObjective objective;
    private final Optimizer optimizer;
    private final List<String> extensions;

    private SeedExperiment(Config config, Registry registry) {
        this.config = config;
        Rng rng = Rng.named(config.get(RNG), config.get(SEED));
        int n = config.get(SAMPLES);
        int dim = config.get(DIM);
        Tensor x = Tensor.of(rng.normal(n * dim), n, dim);
        delta = margins(rng, n);
        beta = config.create(registry, "beta", BetaEstimator.POINT,
                new BetaEstimator.Context(dim, 0, rng, DType.FLOAT32));
        objective = new PreferenceObjective(beta, config.create(registry, "loss", PreferenceLoss.POINT, null));
        // A fixed β has nothing to train; the run then just reports its loss.
        optimizer = objective.namedParameters().isEmpty() ? null : config.create(registry, "optimizer",
                Optimizer.POINT, List.copyOf(objective.namedParameters().values()));
        batch = PreferenceBatch.ofMargins(delta, x);
        extensions = registry.extensions();
    }

    /** Hears each epoch's loss as training goes. */
    @FunctionalInterface
    public interface EpochListener {
        void epochEnded(int epoch, double loss);
    }

    /** Runs the experiment in memory. */
    public static SeedResult run(Registry registry, Config config, EpochListener listener) {
        return new SeedExperiment(config, registry).train(null, listener);
    }

    /** Runs the experiment into a run directory (as a sweep's run): metrics, pairs.csv and the summary. */
    public static SeedResult run(Registry registry, Config config, Path dir) {
        RunDirectory.refuseExisting(dir);
        SeedExperiment experiment = new SeedExperiment(config, registry);
        Map<String, Object> provenance = new LinkedHashMap<>(Provenance.of(registry));
        provenance.put("seed", config.get(SEED));
        RunDirectory run = RunDirectory.create(dir, config.toMap(), provenance).bestBy("mean_beta_gap", true);
        try {
            return experiment.train(run, (epoch, loss) -> { });
        } finally {
            run.close();
        }
    }

    private SeedResult train(RunDirectory run, EpochListener listener) {
        int epochs = config.get(EPOCHS);
        double[] losses = new double[epochs];
        List<TrainingListener> listeners = new ArrayList<>(List.of(new NonFiniteCheck(), new GradientClipping(0),
                new MetricsLogger(1), new TrainingListener() {
                    @Override
                    public void onStepEnd(Progress progress) {
                        if (progress.step() > 0) {
                            losses[progress.step() - 1] = (double) progress.row().get("loss");
                            listener.epochEnded(progress.step(), losses[progress.step() - 1]);
                        }
                    }
                }));
        if (run != null) {
            listeners.add(new Evaluation(epochs, false, step -> summary()));
            listeners.add(run);
            listeners.add(pairsFile(run));
        }
        new Trainer<>(this, optimizer, epochs, listeners).run(0);
        double[] finalBeta = finalBeta();
        int n = finalBeta.length;
        return new SeedResult(config, delta.toDoubleArray(), finalBeta, losses, mean(finalBeta, 0, n / 2),
                mean(finalBeta, n / 2, n), extensions);
    }

    @Override
    public Map<String, Tensor> parameters() {
        return objective.namedParameters();
    }

    @Override
    public int stepsPerEpoch() {
        return 1;
    }

    @Override
    public void batches(int epoch, int skip, Predicate<PreferenceBatch> step) {
        step.test(batch);
    }

    @Override
    public StepResult forward(PreferenceBatch b) {
        PreferenceObjective.Evaluation e = objective.train(b);
        return new StepResult(e.loss(), Map.of("beta", e.beta()),
                PreferenceMetrics.of(b, e.beta(), e.perPair(), beta.baseBeta()));
    }

    private double[] finalBeta() {
        try (var noGrad = Tensor.noGrad()) {
            return beta.beta(batch).toDoubleArray();
        }
    }

    /** The seed document's summary: mean β(x) over Δ &gt; 0 and over Δ &lt; 0, and their gap. */
    private Map<String, Double> summary() {
        double[] b = finalBeta();
        int n = b.length;
        double pos = mean(b, 0, n / 2);
        double neg = mean(b, n / 2, n);
        return Map.of("mean_beta_pos", pos, "mean_beta_neg", neg, "mean_beta_gap", pos - neg);
    }

    /** pairs.csv: Δ and the final β(x) of every sample, for β-against-Δ plots. */
    private TrainingListener pairsFile(RunDirectory run) {
        return new TrainingListener() {
            @Override
            public void onEnd(Progress progress, String status, RuntimeException error) {
                if ("completed".equals(status)) {
                    double[] d = delta.toDoubleArray();
                    double[] b = finalBeta();
                    List<List<?>> rows = new ArrayList<>();
                    for (int i = 0; i < d.length; i++) {
                        rows.add(List.of(d[i], b[i]));
                    }
                    run.writeCsv("pairs.csv", List.of("margin", "beta"), rows);
                }
            }
        };
    }

    /**
     * Δ = (y_w − y_l) + 0.1·noise in float32, then |Δ| for the first half and −|Δ| for the rest,
     * as the document's listing does.
     */
    private static Tensor margins(Rng rng, int n) {
        Tensor yw = Tensor.of(rng.normal(n), n);
        Tensor yl = Tensor.of(rng.normal(n), n);
        Tensor noise = Tensor.of(rng.normal(n), n);
        double[] d = yw.sub(yl).add(noise.mul(0.1)).toDoubleArray();
        for (int i = 0; i < n; i++) {
            d[i] = i < n / 2 ? Math.abs(d[i]) : -Math.abs(d[i]);
        }
        return Tensor.of(d, n);
    }

    private static double mean(double[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s / (to - from);
    }
}
