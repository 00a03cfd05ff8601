package betalab.training;

import betalab.api.preference.PreferenceBatch;
import betalab.api.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The preference metrics, defined once and summed over any number of batches, so that one step, a
 * logging interval or a whole validation pass is summarised exactly. With c and r the chosen and
 * rejected log-ratios, β₀ the scheme's base β and β_i the β each pair was trained with:
 *
 * <ul>
 *   <li>TRL's names, computed as TRL computes them, with one constant β (β₀):
 *       {@code rewards/chosen} = mean β₀c, {@code rewards/rejected} = mean β₀r,
 *       {@code rewards/accuracies} = share of pairs with β₀c &gt; β₀r (a tie is not accurate),
 *       {@code rewards/margins} = mean β₀(c − r); {@code logps/chosen}, {@code logps/rejected} =
 *       mean summed log-probabilities;</li>
 *   <li>the same with each pair's own β: {@code rewards_beta/chosen} = mean β_i·c, …;</li>
 *   <li>the β used: {@code beta/mean}, {@code beta/std} (population), {@code beta/min},
 *       {@code beta/max}, and the seed experiment's {@code beta/mean_h_pos} and
 *       {@code beta/mean_h_neg}: mean β of pairs whose margin h = c − r is positive, and of the rest;</li>
 *   <li>for a language model, from its next-token distributions: {@code entropy} = mean over
 *       completion tokens (chosen and rejected) of −Σ_v πθ(v) log πθ(v), {@code mean_token_accuracy}
 *       = share of chosen completion tokens that are πθ's most likely next token, and
 *       {@code num_tokens} = tokens read in training so far (TRL's count: prompt and completion of
 *       each chosen and each rejected sequence); where it gives its logits, TRL's {@code logits/chosen}
 *       and {@code logits/rejected} = mean raw logit over the vocabulary and the chosen (rejected)
 *       completion tokens.</li>
 * </ul>
 */
public final class PreferenceMetrics implements StepMetrics {
    public static final List<String> KEYS = List.of("rewards/chosen", "rewards/rejected", "rewards/accuracies",
            "rewards/margins", "rewards_beta/chosen", "rewards_beta/rejected", "rewards_beta/accuracies",
            "rewards_beta/margins", "logps/chosen", "logps/rejected", "beta/mean", "beta/std", "beta/min",
            "beta/max", "beta/mean_h_pos", "beta/mean_h_neg");

    /** What a policy that gives its next-token distributions adds. */
    public static final List<String> TOKEN_KEYS = List.of("entropy", "mean_token_accuracy", "num_tokens");
    /** What a policy that gives its logits adds: their mean over the vocabulary and the completion tokens. */
    public static final List<String> LOGIT_KEYS = List.of("logits/chosen", "logits/rejected");

    private final double baseBeta;
    private long n;
    private double loss;
    private double chosen;
    private double rejected;
    private long accurate;
    private double chosenOwn;
    private double rejectedOwn;
    private long accurateOwn;
    private double logpsChosen;
    private double logpsRejected;
    private double beta;
    private double betaSquares;
    private double betaMin = Double.POSITIVE_INFINITY;
    private double betaMax = Double.NEGATIVE_INFINITY;
    private double betaPositive;
    private long positive;
    private long completionTokens;
    private double entropy;
    private long chosenTokens;
    private long predicted;
    private long tokensSeen;
    private double logitsChosen;
    private double logitsRejected;
    private long logitTokensChosen;
    private long logitTokensRejected;

    /** Empty, for rewards/… with the base β {@code baseBeta}. */
    public PreferenceMetrics(double baseBeta) {
        this.baseBeta = baseBeta;
    }

    /** The metrics of one batch. */
    public static PreferenceMetrics of(PreferenceBatch batch, Tensor betaUsed, Tensor perPairLoss, double baseBeta) {
        PreferenceMetrics m = new PreferenceMetrics(baseBeta);
        m.add(batch, betaUsed, perPairLoss);
        return m;
    }

    /** Adds a batch: its pairs, the β each was given, and each pair's loss. */
    public void add(PreferenceBatch batch, Tensor betaUsed, Tensor perPairLoss) {
        add(batch.chosenLogRatio().toDoubleArray(), batch.rejectedLogRatio().toDoubleArray(),
                batch.policyChosen().toDoubleArray(), batch.policyRejected().toDoubleArray(),
                betaUsed.toDoubleArray(), perPairLoss.toDoubleArray());
    }

    /** Adds pairs given as numbers: log-ratios c and r, policy log-probs, β and loss of each. */
    public void add(double[] c, double[] r, double[] policyChosen, double[] policyRejected, double[] b, double[] l) {
        for (int i = 0; i < b.length; i++) {
            loss += l[i];
            chosen += baseBeta * c[i];
            rejected += baseBeta * r[i];
            accurate += baseBeta * c[i] > baseBeta * r[i] ? 1 : 0;
            chosenOwn += b[i] * c[i];
            rejectedOwn += b[i] * r[i];
            accurateOwn += b[i] * c[i] > b[i] * r[i] ? 1 : 0;
            logpsChosen += policyChosen[i];
            logpsRejected += policyRejected[i];
            beta += b[i];
            betaSquares += b[i] * b[i];
            betaMin = Math.min(betaMin, b[i]);
            betaMax = Math.max(betaMax, b[i]);
            if (c[i] - r[i] > 0) {
                betaPositive += b[i];
                positive++;
            }
        }
        n += b.length;
    }

    @Override
    public void add(StepMetrics other) {
        PreferenceMetrics o = (PreferenceMetrics) other;
        n += o.n;
        loss += o.loss;
        chosen += o.chosen;
        rejected += o.rejected;
        accurate += o.accurate;
        chosenOwn += o.chosenOwn;
        rejectedOwn += o.rejectedOwn;
        accurateOwn += o.accurateOwn;
        logpsChosen += o.logpsChosen;
        logpsRejected += o.logpsRejected;
        beta += o.beta;
        betaSquares += o.betaSquares;
        betaMin = Math.min(betaMin, o.betaMin);
        betaMax = Math.max(betaMax, o.betaMax);
        betaPositive += o.betaPositive;
        positive += o.positive;
        completionTokens += o.completionTokens;
        entropy += o.entropy;
        chosenTokens += o.chosenTokens;
        predicted += o.predicted;
        tokensSeen = Math.max(tokensSeen, o.tokensSeen);
        logitsChosen += o.logitsChosen;
        logitsRejected += o.logitsRejected;
        logitTokensChosen += o.logitTokensChosen;
        logitTokensRejected += o.logitTokensRejected;
    }

    /**
     * Adds TRL's logits/chosen and logits/rejected of a batch: {@code logitMeans} is the mean over the
     * vocabulary of the raw logits at each completion position, [2n, T] (chosen rows first), for
     * {@code completions} (the chosen n, then the rejected n).
     */
    public void addLogits(Tensor logitMeans, int[][] completions) {
        int width = logitMeans.dim(1);
        int n = completions.length / 2;
        double[] means = logitMeans.toDoubleArray();
        for (int j = 0; j < completions.length; j++) {
            for (int t = 0; t < completions[j].length; t++) {
                if (j < n) {
                    logitsChosen += means[j * width + t];
                    logitTokensChosen++;
                } else {
                    logitsRejected += means[j * width + t];
                    logitTokensRejected++;
                }
            }
        }
    }

    /**
     * Adds a language model's token statistics of a batch: {@code distributions} is πθ's log-probability
     * of every vocabulary entry at each completion position, [2n, T, V] (chosen rows first), for
     * completions {@code completions} (the chosen n, then the rejected n); {@code tokensSeen} is the
     * count of tokens read in training up to and including this batch.
     */
    public void addTokens(Tensor distributions, int[][] completions, long tokensSeen) {
        int width = distributions.dim(1);
        int vocabulary = distributions.dim(2);
        int n = completions.length / 2;
        double[] logps = distributions.toDoubleArray();
        for (int j = 0; j < completions.length; j++) {
            for (int t = 0; t < completions[j].length; t++) {
                int at = (j * width + t) * vocabulary;
                double h = 0;
                int best = 0;
                for (int v = 0; v < vocabulary; v++) {
                    double l = logps[at + v];
                    if (l > Double.NEGATIVE_INFINITY) {
                        h -= Math.exp(l) * l;
                    }
                    if (l > logps[at + best]) {
                        best = v;
                    }
                }
                entropy += h;
                completionTokens++;
                if (j < n) {
                    chosenTokens++;
                    predicted += best == completions[j][t] ? 1 : 0;
                }
            }
        }
        this.tokensSeen = Math.max(this.tokensSeen, tokensSeen);
    }

    /** Pairs added. */
    public long pairs() {
        return n;
    }

    /** The mean per-pair loss of the pairs added. */
    public double meanLoss() {
        return loss / n;
    }

    @Override
    public Map<String, Double> values() {
        double mean = beta / n;
        double[] v = {chosen / n, rejected / n, (double) accurate / n, (chosen - rejected) / n, chosenOwn / n,
                rejectedOwn / n, (double) accurateOwn / n, (chosenOwn - rejectedOwn) / n, logpsChosen / n,
                logpsRejected / n, mean, Math.sqrt(Math.max(0, betaSquares / n - mean * mean)), betaMin, betaMax,
                betaPositive / positive, (beta - betaPositive) / (n - positive)};
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < v.length; i++) {
            if (!Double.isNaN(v[i])) {
                m.put(KEYS.get(i), v[i]);
            }
        }
        if (completionTokens > 0) {
            m.put(TOKEN_KEYS.get(0), entropy / completionTokens);
            m.put(TOKEN_KEYS.get(1), (double) predicted / chosenTokens);
            m.put(TOKEN_KEYS.get(2), (double) tokensSeen);
        }
        if (logitTokensChosen > 0) {
            m.put(LOGIT_KEYS.get(0), logitsChosen / logitTokensChosen);
            m.put(LOGIT_KEYS.get(1), logitsRejected / logitTokensRejected);
        }
        return m;
    }

    /** {@link #values()} with each name prefixed ("eval/"). */
    public Map<String, Double> values(String prefix) {
        Map<String, Double> m = new LinkedHashMap<>();
        values().forEach((k, v) -> m.put(prefix + k, v));
        return m;
    }
}
