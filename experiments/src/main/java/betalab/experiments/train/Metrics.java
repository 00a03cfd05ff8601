package betalab.experiments.train;

import betalab.api.preference.PreferenceBatch;
import betalab.api.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/** TRL's training metrics, with the β actually used, computed on the host from one batch. */
final class Metrics {
    private Metrics() {
    }

    /**
     * rewards/chosen = mean(β·c), rewards/rejected = mean(β·r), rewards/accuracies = mean[β·c &gt; β·r],
     * rewards/margins = mean(β·c − β·r), logps/chosen and logps/rejected (summed log-probabilities),
     * and beta/mean, beta/std, beta/min, beta/max.
     */
    static Map<String, Double> rewards(PreferenceBatch batch, Tensor betaUsed) {
        double[] beta = betaUsed.toDoubleArray();
        double[] c = batch.chosenLogRatio().toDoubleArray();
        double[] r = batch.rejectedLogRatio().toDoubleArray();
        double[] pc = batch.policyChosen().toDoubleArray();
        double[] pr = batch.policyRejected().toDoubleArray();
        int n = beta.length;
        double chosen = 0;
        double rejected = 0;
        double accurate = 0;
        double logpsChosen = 0;
        double logpsRejected = 0;
        for (int i = 0; i < n; i++) {
            chosen += beta[i] * c[i];
            rejected += beta[i] * r[i];
            accurate += beta[i] * c[i] > beta[i] * r[i] ? 1 : 0;
            logpsChosen += pc[i];
            logpsRejected += pr[i];
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("rewards/chosen", chosen / n);
        m.put("rewards/rejected", rejected / n);
        m.put("rewards/accuracies", accurate / n);
        m.put("rewards/margins", (chosen - rejected) / n);
        m.put("logps/chosen", logpsChosen / n);
        m.put("logps/rejected", logpsRejected / n);
        m.putAll(summary("beta", beta));
        return m;
    }

    /** Mean β over training pairs whose label was flipped, and over the rest. */
    static Map<String, Double> betaByLabel(double[] beta, boolean[] flipped) {
        double flippedSum = 0;
        double cleanSum = 0;
        int flippedCount = 0;
        for (int i = 0; i < beta.length; i++) {
            if (flipped[i]) {
                flippedSum += beta[i];
                flippedCount++;
            } else {
                cleanSum += beta[i];
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("eval/beta_clean", cleanSum / (beta.length - flippedCount));
        m.put("eval/beta_flipped", flippedCount == 0 ? Double.NaN : flippedSum / flippedCount);
        return m;
    }

    /** prefix/mean, prefix/std (population), prefix/min, prefix/max. */
    static Map<String, Double> summary(String prefix, double[] values) {
        double sum = 0;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            sum += v;
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double mean = sum / values.length;
        double squares = 0;
        for (double v : values) {
            squares += (v - mean) * (v - mean);
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(prefix + "/mean", mean);
        m.put(prefix + "/std", Math.sqrt(squares / values.length));
        m.put(prefix + "/min", min);
        m.put(prefix + "/max", max);
        return m;
    }
}
