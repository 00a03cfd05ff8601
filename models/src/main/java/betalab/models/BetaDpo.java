package betalab.models;

import betalab.api.Stateful;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.random.Rng;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.Tensor;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * β-DPO's dynamic β (Wu et al., "β-DPO: Direct Preference Optimization with Dynamic β", NeurIPS
 * 2024), by default as the authors' code runs it (junkangwu/beta-DPO, {@code trainers.py}:
 * {@code preference_loss} and {@code update_and_sync_tensor_mean}). A training batch is cut into
 * micro-batches of {@code micro_batch} consecutive pairs (the authors' gradient-accumulation slices);
 * for each, in order:
 * <ol>
 *   <li>the gap of each pair is A_i = h_i, the raw implicit-reward margin (detached);</li>
 *   <li>the running M₀ ← m·M₀ + (1−m)·mean A and σ ← m·σ + (1−m)·std A (unbiased, as torch.std) move,
 *       both starting at 0;</li>
 *   <li>the filter keeps int(n·(1 − mode_weight)) of its n pairs, drawn without replacement with
 *       weight exp(−½((A_i − M₀)/σ)²);</li>
 *   <li>β = β₀·[1 + α(mean of A over the kept pairs − M₀)] for every pair of the micro-batch
 *       (instance level: β_i = β₀·[1 + α(A_i − M₀)], the paper's variant, not in the code), detached
 *       and clamped at ≥ 1e-3; α has no upper bound.</li>
 * </ol>
 * The kept pairs of a micro-batch of k kept pairs weigh 1/k, so the mean loss is the mean over
 * micro-batches of each one's mean loss over its kept pairs, as the authors' accumulated gradient;
 * when every micro-batch keeps as many pairs the weights are 0/1.
 *
 * <p>Where this differs from the authors' code, and why: it keeps at least one pair (their
 * int(n·0.8) = 0 for a one-pair micro-batch gives a NaN β); a one-pair micro-batch leaves σ as it was
 * (torch.std of one value is NaN, which would stay in σ for good); while σ is 0 every pair weighs the
 * same (theirs divides by 0); and evaluation ({@link #beta}) changes nothing and keeps every pair
 * (their evaluation batches move M₀ and σ and filter the reported loss).
 *
 * <p>A variant (betalab's earlier β-DPO) is reachable by knobs: {@code gap: scaled} reads A = β₀·h as
 * the paper writes it, {@code start: first_batch} starts M₀ and σ at the first micro-batch's mean and
 * spread, {@code filter: false} keeps every pair, {@code micro_batch: 0} reads the whole batch at once.
 */
public final class BetaDpo implements BetaEstimator {
    /** The smallest β, as the authors' {@code beta_used.clamp(min=1e-3)}. */
    static final double MIN_BETA = 1e-3;

    static final String MARGIN = "margin";
    static final String SCALED = "scaled";
    static final String ZERO = "zero";
    static final String FIRST_BATCH = "first_batch";

    // The published run: a = 0.6, mode_weight 0.2, 32 pairs a micro-batch, γ = 0.9.
    static final List<Knob<?>> KNOBS = List.of(
            Knob.real("beta0", 0.1, "β₀: the base β").positive(),
            Knob.real("alpha", 0.6, "α: how far β follows the gap's distance from its running mean M₀").atLeast(0),
            Knob.real("momentum", 0.9, "m of the running mean M₀ and spread σ of the gap").between(0, 1, false),
            Knob.flag("filter", true, "train on int(n·(1 − mode_weight)) pairs of each micro-batch, drawn "
                    + "with weight exp(−½((A_i − M₀)/σ)²)"),
            Knob.real("mode_weight", 0.2, "the fraction of each micro-batch the filter drops").between(0, 1, false),
            Knob.integer("micro_batch", 32, "pairs per micro-batch, each moving M₀ and σ and getting its own β; "
                    + "0 for the whole batch").atLeast(0),
            Knob.text("gap", MARGIN, "the gap A: margin (h, the authors' code) or scaled (β₀·h, the paper's notation)",
                    MARGIN, SCALED),
            Knob.text("start", ZERO, "M₀ and σ start at zero (the authors' code) or at the first_batch's mean and "
                    + "spread", ZERO, FIRST_BATCH));

    /** Whether one β serves the whole micro-batch or each pair has its own. */
    enum Level { BATCH, INSTANCE }

    private final Level level;
    private final double beta0;
    private final double alpha;
    private final double momentum;
    private final boolean filter;
    private final double modeWeight;
    private final int microBatch;
    private final boolean scaledGap;
    private final boolean startAtZero;
    private final Rng rng;
    /** M₀ and σ; null only before the first step when they start at the first micro-batch. */
    private Statistics statistics;

    BetaDpo(Level level, Settings settings, Rng rng) {
        this.level = level;
        this.beta0 = settings.real("beta0");
        this.alpha = settings.real("alpha");
        this.momentum = settings.real("momentum");
        this.filter = settings.flag("filter");
        this.modeWeight = settings.real("mode_weight");
        this.microBatch = settings.integer("micro_batch");
        this.scaledGap = settings.text("gap").equals(SCALED);
        this.startAtZero = settings.text("start").equals(ZERO);
        this.rng = filter ? Objects.requireNonNull(rng, "β-DPO's filter needs a generator in the context") : rng;
        this.statistics = initial();
    }

    static BetaDpo fromSettings(Level level, Settings settings, Context context) {
        return new BetaDpo(level, settings, context.rng());
    }

    @Override
    public double baseBeta() {
        return beta0;
    }

    /** Each micro-batch's β under the current M₀ (or, before any step, the one the first step starts from). */
    @Override
    public Tensor beta(PreferenceBatch batch) {
        double[] gaps = gaps(batch);
        double[] beta = new double[gaps.length];
        for (int[] range : microBatches(gaps.length)) {
            double[] chunk = Arrays.copyOfRange(gaps, range[0], range[1]);
            Statistics s = statistics != null ? statistics : Statistics.after(null, chunk, momentum);
            System.arraycopy(beta(chunk, s, null), 0, beta, range[0], chunk.length);
        }
        return vectorLike(batch, beta);
    }

    @Override
    public Estimate train(PreferenceBatch batch) {
        double[] gaps = gaps(batch);
        double[] beta = new double[gaps.length];
        double[] weights = new double[gaps.length];
        List<int[]> ranges = microBatches(gaps.length);
        boolean equalCounts = true;
        int firstCount = -1;
        for (int[] range : ranges) {
            double[] chunk = Arrays.copyOfRange(gaps, range[0], range[1]);
            statistics = Statistics.after(statistics, chunk, momentum);
            double[] kept = filter ? select(chunk, statistics) : null;
            System.arraycopy(beta(chunk, statistics, kept), 0, beta, range[0], chunk.length);
            int count = kept == null ? chunk.length : (int) Arrays.stream(kept).sum();
            equalCounts &= firstCount < 0 || count == firstCount;
            firstCount = firstCount < 0 ? count : firstCount;
            for (int i = 0; i < chunk.length; i++) {
                weights[range[0] + i] = (kept == null ? 1 : kept[i]) / count;
            }
        }
        if (equalCounts) {
            for (int i = 0; i < weights.length; i++) {
                weights[i] = weights[i] > 0 ? 1 : 0;
            }
        }
        boolean allKept = Arrays.stream(weights).allMatch(w -> w == 1);
        return new Estimate(vectorLike(batch, beta), allKept ? null : vectorLike(batch, weights), null);
    }

    /** "statistics": M₀ and σ, absent only before the first step of a scheme that starts at the first batch. */
    @Override
    public Map<String, double[]> state() {
        return statistics == null ? Map.of() : Map.of("statistics", new double[] {statistics.mean(), statistics.std()});
    }

    @Override
    public void loadState(Map<String, double[]> state) {
        if (!state.containsKey("statistics")) {
            statistics = initial();
            return;
        }
        double[] saved = Stateful.entry(state, "statistics", 2);
        statistics = new Statistics(saved[0], saved[1]);
    }

    /** The running mean M₀ of the gap; NaN before the first step of a scheme started at the first batch. */
    public double runningMean() {
        return statistics == null ? Double.NaN : statistics.mean();
    }

    /** The running spread σ of the gap; NaN until a micro-batch of two or more pairs, if started at the first. */
    public double runningStd() {
        return statistics == null ? Double.NaN : statistics.std();
    }

    private Statistics initial() {
        return startAtZero ? new Statistics(0, 0) : null;
    }

    /** [from, to) of each micro-batch, in order; the last may be shorter. */
    private List<int[]> microBatches(int n) {
        int size = microBatch == 0 ? n : microBatch;
        return IntStream.iterate(0, from -> from < n, from -> from + size)
                .mapToObj(from -> new int[] {from, Math.min(n, from + size)}).toList();
    }

    private double[] gaps(PreferenceBatch batch) {
        double[] h = batch.margin().detach().toDoubleArray();
        if (scaledGap) {
            for (int i = 0; i < h.length; i++) {
                h[i] *= beta0;
            }
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
     * 0/1 weights keeping max(1, int(n·(1 − mode_weight))) pairs drawn without replacement with
     * weight exp(−½((A_i − M₀)/σ)²) (the code's weight_sample). Drawn by the exponential race that
     * torch.multinomial uses without replacement: pair i gets key w_i / E_i with E_i = −log u_i, u_i
     * one uniform per pair in order, and the largest keys win; in logarithms so that far tails do not
     * underflow. Pairs whose weight is 0 in double precision come after every other (torch refuses to
     * draw them), so they are kept only when fewer pairs than that have a weight at all.
     */
    private double[] select(double[] gaps, Statistics s) {
        int n = gaps.length;
        int keep = Math.max(1, (int) (n * (1 - modeWeight)));
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

    /** The running M₀ and σ of the gap; σ is NaN until a micro-batch has shown a spread. */
    record Statistics(double mean, double std) {

        /** The statistics after one micro-batch; with no previous ones, the micro-batch sets them. */
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
                // σ is 0 before any spread was seen (or when every gap so far was equal), NaN only for
                // one-pair batches under start: first_batch: either way no pair is nearer M₀ than another.
                return 0;
            }
            double z = (gap - mean) / std;
            return -0.5 * z * z;
        }
    }
}
