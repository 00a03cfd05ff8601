package betalab.lm.task;

import betalab.api.policy.Policy;
import betalab.api.random.JavaRng;
import betalab.api.task.Task;
import betalab.api.tensor.Tensor;
import betalab.lm.reward.Reward;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reward task's evaluation, by sampling: on each held-out prompt the policy and the reference
 * each sample one completion, each from a generator seeded afresh at every evaluation with the
 * task's evaluation seed, so an evaluation depends only on the weights — a resumed run evaluates as
 * an uninterrupted one, a frozen reference gives the same completions every time, and the policy's
 * and the reference's draws are common random numbers (equal weights give equal completions, and
 * their comparison varies less). With y ~ πθ(·|x), y' ~ π_ref(·|x) and n prompts:
 *
 * <ul>
 *   <li>{@code eval/true_reward}, {@code eval/true_reward_ref}: mean r*(y), mean r*(y');</li>
 *   <li>{@code eval/win_rate_vs_ref}: mean σ((r*(y) − r*(y'))/T), the probability that the true Bradley–Terry
 *       model prefers the policy's completion (a tie is one half);</li>
 *   <li>{@code eval/kl_ref}: mean of log πθ(y|x) − log π_ref(y|x), the sequence-level KL(πθ ‖ π_ref)
 *       estimated from the policy's samples (unbiased when the policy samples at temperature 1 with
 *       no top-k or top-p), and {@code eval/kl_ref_stderr}, its standard error s/√n;</li>
 *   <li>{@code eval/length}: mean tokens of y (end-of-sequence included); {@code eval/eos_share}: the
 *       share of y that ended with the end-of-sequence token rather than at max_tokens.</li>
 * </ul>
 */
final class SamplingEvaluation implements Task.Evaluator {
    private final List<String> promptTexts;
    private final int[][] prompts;
    private final Policy.Tokenizer tokenizer;
    private final Reward reward;
    private final int maxTokens;
    private final double temperature;
    private final long seed;
    private final int show;
    private List<Map<String, Object>> samples = List.of();

    SamplingEvaluation(List<String> promptTexts, int[][] prompts, Policy.Tokenizer tokenizer, Reward reward,
                       int maxTokens, double temperature, long seed, int show) {
        this.promptTexts = List.copyOf(promptTexts);
        this.prompts = prompts;
        this.tokenizer = tokenizer;
        this.reward = reward;
        this.maxTokens = maxTokens;
        this.temperature = temperature;
        this.seed = seed;
        this.show = show;
    }

    @Override
    public Map<String, Double> evaluate(Policy policy, Policy reference) {
        int n = prompts.length;
        int[][] mine;
        int[][] theirs;
        try (var noGrad = Tensor.noGrad()) {
            mine = policy.sample(prompts, maxTokens, new JavaRng(seed));
            theirs = reference.sample(prompts, maxTokens, new JavaRng(seed));
        }
        double[] policyLogps = LanguageModels.logps(policy, prompts, mine);
        double[] referenceLogps = LanguageModels.logps(reference, prompts, mine);
        double rewardSum = 0;
        double referenceSum = 0;
        double wins = 0;
        double length = 0;
        double ended = 0;
        double[] kl = new double[n];
        List<Map<String, Object>> shown = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String text = LanguageModels.text(tokenizer, mine[i]);
            String referenceText = LanguageModels.text(tokenizer, theirs[i]);
            double r = reward.score(text);
            double rr = reward.score(referenceText);
            rewardSum += r;
            referenceSum += rr;
            wins += RewardTask.sigmoid((r - rr) / temperature);
            kl[i] = policyLogps[i] - referenceLogps[i];
            length += mine[i].length;
            ended += LanguageModels.ended(tokenizer, mine[i]) ? 1 : 0;
            if (i < show) {
                Map<String, Object> sample = new LinkedHashMap<>();
                sample.put("prompt", promptTexts.get(i));
                sample.put("completion", text);
                sample.put("reward", r);
                sample.put("reference_completion", referenceText);
                sample.put("reference_reward", rr);
                shown.add(sample);
            }
        }
        samples = List.copyOf(shown);
        double meanKl = mean(kl);
        double squares = 0;
        for (double v : kl) {
            squares += (v - meanKl) * (v - meanKl);
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("eval/true_reward", rewardSum / n);
        m.put("eval/true_reward_ref", referenceSum / n);
        m.put("eval/win_rate_vs_ref", wins / n);
        m.put("eval/kl_ref", meanKl);
        m.put("eval/kl_ref_stderr", Math.sqrt(squares / (n - 1) / n));
        m.put("eval/length", length / n);
        m.put("eval/eos_share", ended / n);
        return m;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    @Override
    public String headline() {
        return "eval/true_reward";
    }

    /** The first held-out prompts with the policy's and the reference's completions and rewards, from the last evaluation. */
    @Override
    public List<Map<String, Object>> samples() {
        return samples;
    }
}
