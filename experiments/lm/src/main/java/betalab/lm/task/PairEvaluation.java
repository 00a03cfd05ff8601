package betalab.lm.task;

import betalab.api.policy.Policy;
import betalab.api.task.PreferencePairs;
import betalab.api.task.Task;
import betalab.training.PreferenceMetrics;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The data task's evaluation on its held-out pairs, by the implicit reward: with
 * c = log πθ(y_w|x) − log π_ref(y_w|x) and r the same for y_l (the reference's from the file where
 * the pairs carry it), {@code eval/rewards/accuracies} is TRL's share of pairs with c &gt; r (a tie
 * is not accurate; the same for every β &gt; 0), {@code eval/logratio/chosen}, {@code /rejected} and
 * {@code /margins} are the means of c, r and c − r (TRL's rewards/… divided by β, so free of it),
 * and {@code eval/logps/chosen}, {@code /rejected} the means of log πθ(y_w|x) and log πθ(y_l|x).
 */
final class PairEvaluation implements Task.Evaluator {
    private final PreferencePairs pairs;

    PairEvaluation(PreferencePairs pairs) {
        this.pairs = pairs;
    }

    @Override
    public Map<String, Double> evaluate(Policy policy, Policy reference) {
        double[] chosen = LanguageModels.logps(policy, pairs.prompts(), pairs.chosen());
        double[] rejected = LanguageModels.logps(policy, pairs.prompts(), pairs.rejected());
        double[] refChosen = pairs.hasReferenceLogps() ? pairs.referenceChosen()
                : LanguageModels.logps(reference, pairs.prompts(), pairs.chosen());
        double[] refRejected = pairs.hasReferenceLogps() ? pairs.referenceRejected()
                : LanguageModels.logps(reference, pairs.prompts(), pairs.rejected());
        int n = pairs.size();
        double[] c = new double[n];
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            c[i] = chosen[i] - refChosen[i];
            r[i] = rejected[i] - refRejected[i];
        }
        // The one definition of the preference metrics, with β = 1: its rewards are the log-ratios.
        PreferenceMetrics metrics = new PreferenceMetrics(1.0);
        double[] ones = new double[n];
        java.util.Arrays.fill(ones, 1.0);
        metrics.add(c, r, chosen, rejected, ones, new double[n]);
        Map<String, Double> v = metrics.values();
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("eval/rewards/accuracies", v.get("rewards/accuracies"));
        m.put("eval/logratio/chosen", v.get("rewards/chosen"));
        m.put("eval/logratio/rejected", v.get("rewards/rejected"));
        m.put("eval/logratio/margins", v.get("rewards/margins"));
        m.put("eval/logps/chosen", v.get("logps/chosen"));
        m.put("eval/logps/rejected", v.get("logps/rejected"));
        return m;
    }

    @Override
    public String headline() {
        return "eval/rewards/accuracies";
    }
}
