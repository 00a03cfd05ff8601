package betalab.seed;

import betalab.api.optim.Optimizer;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceObjective;
import betalab.api.random.Rng;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import betalab.training.FiniteCheck;
import java.util.Map;

/**
 * The seed document's experiment: β(x) trained alone on fixed margins Δ with
 * L = −mean log σ(β(x)·Δ). Data and initial weights are drawn in the document's order
 * (x, y_w, y_l, noise, then the network), so with the torch generator every number matches
 * its PyTorch script.
 */
public final class SeedExperiment {

    /** Hears each epoch's loss as training goes. */
    @FunctionalInterface
    public interface EpochListener {
        void epochEnded(int epoch, double loss);
    }

    private final Registry registry;

    public SeedExperiment(Registry registry) {
        this.registry = registry;
    }

    public SeedResult run(SeedConfig config, EpochListener listener) {
        Rng rng = Rng.named(config.rng(), config.seed());
        int n = config.samples();
        Tensor x = Tensor.of(rng.normal(n * config.dim()), n, config.dim());
        Tensor delta = margins(rng, n);

        BetaEstimator beta = registry.betaEstimator(config.betaScheme(), betaKnobs(config),
                new BetaEstimator.Context(config.dim(), 0, rng, DType.FLOAT32));
        PreferenceObjective objective = registry.objective(beta, registry.loss(config.loss(), Map.of()));
        // A fixed β has nothing to train; the run then just reports its loss.
        Optimizer optimizer = objective.parameters().isEmpty() ? null
                : registry.optimizer(config.optimizer(), Map.of("lr", config.lr()), objective.parameters());
        PreferenceBatch batch = PreferenceBatch.ofMargins(delta, x);

        double[] losses = new double[config.epochs()];
        for (int epoch = 1; epoch <= config.epochs(); epoch++) {
            PreferenceObjective.Evaluation step = objective.train(batch);
            FiniteCheck.require(epoch, "beta", step.beta());
            FiniteCheck.require(epoch, "loss", step.loss());
            if (optimizer != null) {
                optimizer.zeroGrad();
                step.loss().backward();
                FiniteCheck.requireGradients(epoch, objective.parameters());
                optimizer.step();
            }
            losses[epoch - 1] = step.loss().item();
            listener.epochEnded(epoch, losses[epoch - 1]);
        }

        double[] finalBeta;
        try (var noGrad = Tensor.noGrad()) {
            finalBeta = beta.beta(batch).toDoubleArray();
        }
        return new SeedResult(config, delta.toDoubleArray(), finalBeta, losses, mean(finalBeta, 0, n / 2),
                mean(finalBeta, n / 2, n), registry.extensions());
    }

    /** The --hidden widths, for a β scheme that has a "hidden" knob. */
    private Map<String, Object> betaKnobs(SeedConfig config) {
        BetaEstimator.Provider scheme = registry.betaEstimators().get(config.betaScheme());
        boolean hasHidden = scheme != null && scheme.knobs().stream().anyMatch(k -> k.name().equals("hidden"));
        return hasHidden ? Map.of("hidden", config.hidden()) : Map.of();
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
