package betalab.models;

import betalab.api.Stateful;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.random.Rng;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.Tensor;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * β-DPO's dynamic β (Wu et al., "β-DPO: Direct Preference Optimization with Dynamic β", NeurIPS
 * 2024; the authors' code is junkangwu/beta-DPO, trainers.py). Each pair's reward gap
 * M_i = β₀·h_i (detached) is compared with its running mean M₀: the batch-level β is
 * β₀·[1 + α(mean M − M₀)] for every pair, the instance-level β_i = β₀·[1 + α(M_i − M₀)]. Both are
 * detached and clamped at ≥ 1e-3, as the authors' code does. The optional β-guided filter trains
 * on round(ρ·n) pairs drawn without replacement with probability ∝ N(M_i; M₀, σ).
 *
 * <p>Where this differs from the authors' code, and why:
 * <ul>
 *   <li>M₀ and σ start from the first training batch's mean and spread; the code starts them at 0,
 *       which for m = 0.9 biases M₀ toward 0 and shrinks σ (sharpening the filter) for tens of
 *       steps. σ starts from the first batch of two or more pairs, which alone has a spread.</li>
 *   <li>M = β₀·h as in the paper; the code's gap is h itself, so its α acts on a 1/β₀ times larger
 *       deviation.</li>
 *   <li>It keeps round(ρ·n) pairs, at least one; the code keeps int(n·(1 − mode_weight)).</li>
 * </ul>
 * As in the code, one training step first moves M₀ and σ with the whole batch (σ the unbiased
 * standard deviation, as torch.std), then filters with them, and the batch-level β uses the mean gap
 * of the kept pairs. {@link #beta} changes nothing: it uses the current M₀ (or, before any training
 * step, the statistics the first step would start from) and keeps every pair.
 */
public final class BetaDpo implements BetaEstimator {
    /** The smallest β, as the authors' {@code beta_used.clamp(min=1e-3)}. */
    static final double MIN_BETA = 1e-3;

    // α: the authors' README runs β-DPO with a = 0.6 (with mode_weight 0.2, i.e. ρ = 0.8); their
    // config's 0 would make the scheme plain DPO.
    static final List<Knob<?>> KNOBS = List.of(
            Knob.real("beta0", 0.1, "β₀: the base β, also the scale of the reward gap M = β₀·h").positive(),
            Knob.real("alpha", 0.6, "α: how far β follows the gap's distance from its running mean M₀")
                    .between(0, 1, true),
            Knob.real("momentum", 0.9, "m of the running mean M₀ and spread σ of the gap").between(0, 1, false),
            Knob.flag("filter", false, "train on round(ρ·n) pairs drawn with probability ∝ N(M_i; M₀, σ)"),
            Knob.real("rho", 0.8, "ρ: the fraction of each batch the filter keeps").between(0, 1, true).positive());

    /** Whether one β serves the whole batch or each pair has its own. */
    enum Level { BATCH, INSTANCE }

    private final Level level;
    private final double beta0;
    private final double alpha;
    private final double momentum;
    private final boolean filter;
    private final double rho;
    private final Rng rng;
    private Statistics statistics;

    BetaDpo(Level level, double beta0, double alpha, double momentum, boolean filter, double rho, Rng rng) {
        this.level = level;
        this.beta0 = beta0;
        this.alpha = alpha;
        this.momentum = momentum;
        this.filter = filter;
        this.rho = rho;
        this.rng = filter ? Objects.requireNonNull(rng, "β-DPO's filter needs a generator in the context") : rng;
    }

    static BetaDpo fromSettings(Level level, Settings settings, Context context) {
        return new BetaDpo(level, settings.real("beta0"), settings.real("alpha"), settings.real("momentum"),
                settings.flag("filter"), settings.real("rho"), context.rng());
    }

    @Override
    public double baseBeta() {
        return beta0;
    }

    @Override
    public Tensor beta(PreferenceBatch batch) {
        double[] gaps = gaps(batch);
        Statistics s = statistics != null ? statistics : Statistics.after(null, gaps, momentum);
        return vectorLike(batch, beta(gaps, s, null));
    }

    @Override
    public Estimate train(PreferenceBatch batch) {
        double[] gaps = gaps(batch);
        statistics = Statistics.after(statistics, gaps, momentum);
        double[] kept = filter ? select(gaps, statistics) : null;
        return new Estimate(vectorLike(batch, beta(gaps, statistics, kept)),
                kept == null ? null : vectorLike(batch, kept), null);
    }

    /** "statistics": M₀ and σ, or nothing before the first training step (no parameters to save). */
    @Override
    public Map<String, double[]> state() {
        return statistics == null ? Map.of() : Map.of("statistics", new double[] {statistics.mean(), statistics.std()});
    }

    @Override
    public void loadState(Map<String, double[]> state) {
        if (!state.containsKey("statistics")) {
            statistics = null;
            return;
        }
        double[] saved = Stateful.entry(state, "statistics", 2);
        statistics = new Statistics(saved[0], saved[1]);
    }

    /** The running mean M₀ of the gap; NaN before the first training step. */
    public double runningMean() {
        return statistics == null ? Double.NaN : statistics.mean();
    }

    /** The running spread σ of the gap; NaN until a training batch of two or more pairs. */
    public double runningStd() {
        return statistics == null ? Double.NaN : statistics.std();
    }

    private double[] gaps(PreferenceBatch batch) {
        double[] h = batch.margin().detach().toDoubleArray();
        for (int i = 0; i < h.length; i++) {
            h[i] *= beta0;
        }
        return h;
    }

    /** β of each pair; {@code kept} (0/1, or null for all) picks the pairs the batch-level mean reads. */
    private double[] beta(double[] gaps, Statistics s, double[] kept) {
        double batchGap = Double.NaN;
        if (level == Level.BATCH) {
            double sum = 0;
            double count = 0;
            for (int i = 0; i < gaps.length; i++) {
                double k = kept == null ? 1 : kept[i];
                sum += k * gaps[i];
                count += k;
            }
            batchGap = sum / count;
        }
        double[] beta = new double[gaps.length];
        for (int i = 0; i < gaps.length; i++) {
            double gap = level == Level.BATCH ? batchGap : gaps[i];
            beta[i] = Math.max(MIN_BETA, beta0 * (1 + alpha * (gap - s.mean())));
        }
        return beta;
    }

    /**
     * 0/1 weights keeping round(ρ·n) pairs drawn without replacement with probability ∝ the Gaussian
     * weight exp(−½((M_i − M₀)/σ)²) (the code's weight_sample). Drawn by the exponential race that
     * torch.multinomial uses without replacement: pair i gets key w_i / E_i with E_i = −log u_i
     * exponential, and the largest keys win; in logarithms so that far tails do not underflow. Pairs
     * whose weight is 0 in double precision come after every other, so they are kept only when fewer
     * pairs than round(ρ·n) have a weight at all.
     */
    private double[] select(double[] gaps, Statistics s) {
        int n = gaps.length;
        int keep = (int) Math.max(1, Math.round(rho * n));
        double[] u = rng.uniform(n, 0, 1);
        double[] logWeight = new double[n];
        double[] key = new double[n];
        for (int i = 0; i < n; i++) {
            logWeight[i] = s.logWeight(gaps[i]);
            key[i] = logWeight[i] - Math.log(-Math.log(u[i]));
        }
        Comparator<Integer> order = Comparator.<Integer>comparingInt(i -> Math.exp(logWeight[i]) > 0 ? 0 : 1)
                .thenComparing(i -> -key[i]);
        double[] kept = new double[n];
        IntStream.range(0, n).boxed().sorted(order).limit(keep).forEach(i -> kept[i] = 1);
        return kept;
    }

    private static Tensor vectorLike(PreferenceBatch batch, double[] values) {
        Tensor like = batch.policyChosen();
        return Tensor.wrap(like.backend().of(values, like.dtype()), values.length);
    }

    /** The running M₀ and σ of the gap; σ is NaN until a batch has shown a spread. */
    record Statistics(double mean, double std) {

        /** The statistics after one training batch; the first batch sets them. */
        static Statistics after(Statistics previous, double[] gaps, double momentum) {
            double mean = 0;
            for (double g : gaps) {
                mean += g;
            }
            mean /= gaps.length;
            double std = Double.NaN;
            if (gaps.length > 1) {
                double squares = 0;
                for (double g : gaps) {
                    squares += (g - mean) * (g - mean);
                }
                std = Math.sqrt(squares / (gaps.length - 1));
            }
            if (previous == null) {
                return new Statistics(mean, std);
            }
            double nextStd = Double.isNaN(std) ? previous.std
                    : Double.isNaN(previous.std) ? std : momentum * previous.std + (1 - momentum) * std;
            return new Statistics(momentum * previous.mean + (1 - momentum) * mean, nextStd);
        }

        /** log of the Gaussian weight, less its constant; 0 for all while no spread is known. */
        double logWeight(double gap) {
            if (!(std > 0)) {
                // σ is 0 (m < 1) only when this batch's gaps are all equal, and NaN only for a one-pair
                // batch: either way no pair is nearer M₀ than another.
                return 0;
            }
            double z = (gap - mean) / std;
            return -0.5 * z * z;
        }
    }
}
