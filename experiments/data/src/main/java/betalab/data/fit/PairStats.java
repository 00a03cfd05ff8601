package betalab.data.fit;

import betalab.api.preference.PreferenceBatch;
import betalab.api.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * TRL's preference metrics, with the β actually used, summed over any number of batches so that a
 * whole validation split or a logging interval is summarised without being held: loss (the mean
 * per-pair loss), rewards/chosen = mean β·c, rewards/rejected = mean β·r, rewards/accuracies =
 * share of pairs with β·c &gt; β·r, rewards/margins = mean β·(c − r), logps/chosen and logps/rejected
 * (summed log-probabilities), beta/mean, beta/std (population), beta/min, beta/max, and the seed
 * experiment's summary: beta/mean_h_pos and beta/mean_h_neg, the mean β of pairs whose margin
 * h = c − r is positive, and of the rest (left out when there are none).
 */
final class PairStats {
    static final List<String> KEYS = List.of("loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies",
            "rewards/margins", "logps/chosen", "logps/rejected", "beta/mean", "beta/std", "beta/min", "beta/max",
            "beta/mean_h_pos", "beta/mean_h_neg");

    private long n;
    private double loss;
    private double chosen;
    private double rejected;
    private long accurate;
    private double logpsChosen;
    private double logpsRejected;
    private double beta;
    private double betaSquares;
    private double betaMin = Double.POSITIVE_INFINITY;
    private double betaMax = Double.NEGATIVE_INFINITY;
    private double betaPositive;
    private long positive;

    void add(PreferenceBatch batch, Tensor betaUsed, Tensor perPairLoss) {
        double[] b = betaUsed.toDoubleArray();
        double[] c = batch.chosenLogRatio().toDoubleArray();
        double[] r = batch.rejectedLogRatio().toDoubleArray();
        double[] pc = batch.policyChosen().toDoubleArray();
        double[] pr = batch.policyRejected().toDoubleArray();
        double[] l = perPairLoss.toDoubleArray();
        for (int i = 0; i < b.length; i++) {
            loss += l[i];
            chosen += b[i] * c[i];
            rejected += b[i] * r[i];
            accurate += b[i] * c[i] > b[i] * r[i] ? 1 : 0;
            logpsChosen += pc[i];
            logpsRejected += pr[i];
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

    /** The metrics by {@link #KEYS}, each name prefixed by {@code prefix}. */
    Map<String, Object> metrics(String prefix) {
        double mean = beta / n;
        double[] values = {loss / n, chosen / n, rejected / n, (double) accurate / n, (chosen - rejected) / n,
                logpsChosen / n, logpsRejected / n, mean, Math.sqrt(Math.max(0, betaSquares / n - mean * mean)),
                betaMin, betaMax, betaPositive / positive, (beta - betaPositive) / (n - positive)};
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            if (!Double.isNaN(values[i])) {
                m.put(prefix + KEYS.get(i), values[i]);
            }
        }
        return m;
    }
}
