package betalab.bandit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.random.JavaRng;
import betalab.api.random.TorchRng;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The exact metrics against sums written another way, and the win rate against sampling. */
class ExactEvaluationTest {
    private final BanditConfig config = new BanditConfig(10, 3, 4, 5, 0.7, 0.0, 0.4, 2);
    private final BanditEnvironment env = BanditEnvironment.generate(config, new TorchRng(5));
    private final int[] prompts = env.evalPromptIndices();

    /** Log-softmax of random scores, [n, K], through tensors. */
    private Tensor logProbs(long seed) {
        double[] scores = new JavaRng(seed).normal(prompts.length * config.candidates());
        Tensor s = Tensor.of(DType.FLOAT64, scores, prompts.length, config.candidates());
        return s.sub(s.logSumExp(1).reshape(prompts.length, 1));
    }

    @Test
    void rewardAndKlMatchTensorSums() {
        Tensor policy = logProbs(1);
        Tensor reference = logProbs(2);
        double[] r = new double[prompts.length * config.candidates()];
        for (int i = 0; i < prompts.length; i++) {
            for (int k = 0; k < config.candidates(); k++) {
                r[i * config.candidates() + k] = env.reward(prompts[i], k);
            }
        }
        Tensor rewards = Tensor.of(DType.FLOAT64, r, prompts.length, config.candidates());
        double expectedReward = policy.exp().mul(rewards).sum(1).mean().item();
        double expectedKl = policy.exp().mul(policy.sub(reference)).sum(1).mean().item();

        Map<String, Double> m = ExactEvaluation.evaluate(env, prompts, policy.toDoubleArray(),
                reference.toDoubleArray(), env.drawPairs(prompts, reference.toDoubleArray(), 0, new TorchRng(3)));

        assertThat(m.get("eval/true_reward")).isCloseTo(expectedReward, within(1e-12));
        assertThat(m.get("eval/kl_ref")).isCloseTo(expectedKl, within(1e-12));
        assertThat(m.get("eval/kl_ref")).isPositive();
    }

    @Test
    void winRateMatchesSampling() {
        double[] policy = logProbs(4).toDoubleArray();
        double[] reference = logProbs(5).toDoubleArray();
        double exact = ExactEvaluation.evaluate(env, prompts, policy, reference,
                env.drawPairs(prompts, reference, 0, new TorchRng(3))).get("eval/win_rate_vs_ref");

        SplittableRandom random = new SplittableRandom(9);
        int k = config.candidates();
        int draws = 400_000;
        double wins = 0;
        for (int t = 0; t < draws; t++) {
            int row = random.nextInt(prompts.length);
            int a = draw(policy, row, k, random.nextDouble());
            int b = draw(reference, row, k, random.nextDouble());
            double diff = env.reward(prompts[row], a) - env.reward(prompts[row], b);
            wins += a == b ? 0.5 : random.nextDouble() < 1 / (1 + Math.exp(-diff / config.temperature())) ? 1 : 0;
        }
        assertThat(exact).isCloseTo(wins / draws, within(0.005));
    }

    @Test
    void identicalPoliciesTieAndAgreeOnNothing() {
        double[] same = logProbs(6).toDoubleArray();
        Map<String, Double> m = ExactEvaluation.evaluate(env, prompts, same, same,
                env.drawPairs(prompts, same, 0, new TorchRng(3)));
        assertThat(m.get("eval/win_rate_vs_ref")).isCloseTo(0.5, within(1e-12));
        assertThat(m.get("eval/kl_ref")).isZero();
        assertThat(m.get("eval/pref_accuracy")).isEqualTo(0.5);
    }

    @Test
    void prefAccuracyCountsTheHeldOutPairsWhoseImplicitRewardMarginIsRight() {
        double[] policy = logProbs(11).toDoubleArray();
        double[] reference = logProbs(12).toDoubleArray();
        var pairs = env.drawPairs(prompts, reference, 0, new TorchRng(3));
        int k = config.candidates();
        double right = 0;
        for (int i = 0; i < pairs.size(); i++) {
            int row = pairs.prompts()[i][0] - prompts[0];
            int c = row * k + pairs.chosen()[i][0];
            int r = row * k + pairs.rejected()[i][0];
            // The implicit reward log π − log π_ref of the chosen candidate against the rejected one.
            right += policy[c] - reference[c] > policy[r] - reference[r] ? 1 : 0;
        }
        double accuracy = ExactEvaluation.evaluate(env, prompts, policy, reference, pairs).get("eval/pref_accuracy");
        assertThat(pairs.size()).isEqualTo(prompts.length * 2);
        assertThat(accuracy).isEqualTo(right / pairs.size());
        // Neither all, none nor half right: a reversed margin would give another value.
        assertThat(accuracy).isStrictlyBetween(0.0, 1.0).isNotEqualTo(0.5);
    }

    private static int draw(double[] logps, int row, int k, double u) {
        double cumulative = 0;
        for (int c = 0; c < k; c++) {
            cumulative += Math.exp(logps[row * k + c]);
            if (u < cumulative) {
                return c;
            }
        }
        return k - 1;
    }
}
