package betalab.bandit;

import betalab.api.task.PreferencePairs;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Metrics computed exactly by summing over the K candidates, with no sampling. Inputs are
 * log-probabilities of every candidate for each evaluated prompt, row-major [n, K].
 */
final class ExactEvaluation {
    private ExactEvaluation() {
    }

    /**
     * {@code eval/true_reward} = mean over prompts of E_{πθ}[r*]; {@code eval/kl_ref} = mean of
     * KL(πθ ‖ π_ref); {@code eval/win_rate_vs_ref} = mean of P(y ≻ y') for y ~ πθ, y' ~ π_ref under
     * the environment's Bradley–Terry model (a tie counts one half); and
     * {@code eval/pref_accuracy}, the share of the held-out pairs whose label the policy's implicit
     * reward margin gets right (a zero margin counts one half).
     */
    public static Map<String, Double> evaluate(BanditEnvironment env, int[] prompts, double[] policyLogps,
                                               double[] referenceLogps, PreferencePairs heldOut) {
        int k = env.config().candidates();
        double reward = 0;
        double kl = 0;
        double win = 0;
        for (int row = 0; row < prompts.length; row++) {
            int x = prompts[row];
            for (int a = 0; a < k; a++) {
                double lp = policyLogps[row * k + a];
                double p = Math.exp(lp);
                reward += p * env.reward(x, a);
                kl += p == 0 ? 0 : p * (lp - referenceLogps[row * k + a]);
                for (int b = 0; b < k; b++) {
                    double q = Math.exp(referenceLogps[row * k + b]);
                    double beats = a == b ? 0.5
                            : BanditEnvironment.sigmoid((env.reward(x, a) - env.reward(x, b)) / env.config().temperature());
                    win += p * q * beats;
                }
            }
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("eval/true_reward", reward / prompts.length);
        metrics.put("eval/kl_ref", kl / prompts.length);
        metrics.put("eval/pref_accuracy", prefAccuracy(prompts, policyLogps, referenceLogps, heldOut, k));
        metrics.put("eval/win_rate_vs_ref", win / prompts.length);
        return metrics;
    }

    private static double prefAccuracy(int[] prompts, double[] policyLogps, double[] referenceLogps,
                                       PreferencePairs pairs, int k) {
        Map<Integer, Integer> rowOf = new java.util.HashMap<>();
        for (int row = 0; row < prompts.length; row++) {
            rowOf.put(prompts[row], row);
        }
        double right = 0;
        for (int i = 0; i < pairs.size(); i++) {
            int row = rowOf.get(pairs.prompts()[i][0]);
            int c = row * k + pairs.chosen()[i][0];
            int r = row * k + pairs.rejected()[i][0];
            double margin = (policyLogps[c] - referenceLogps[c]) - (policyLogps[r] - referenceLogps[r]);
            right += margin > 0 ? 1 : margin == 0 ? 0.5 : 0;
        }
        return right / pairs.size();
    }
}
