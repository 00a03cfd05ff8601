package betalab.lm.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.policy.Policy;
import betalab.api.random.JavaRng;
import betalab.api.tensor.Tensor;
import betalab.lm.reward.Reward;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sampling evaluation against the same quantities computed one completion at a time, by their definitions. */
class SamplingEvaluationTest {
    private static final long SEED = 77;
    private static final List<String> PROMPTS = List.of("The people will", "Our nation has failed",
            "This plan is", "Every family deserves our best", "The treaty");

    @TempDir
    static Path dir;
    static Policy policy;
    static Policy reference;

    @BeforeAll
    static void models() {
        Path corpus = LmFixture.corpus(dir, 20);
        policy = LmFixture.policy(LmFixture.model(dir, corpus, 64, 1));
        reference = LmFixture.policy(LmFixture.model(dir, corpus, 64, 2));
    }

    static SamplingEvaluation evaluation(Reward reward, int show) {
        int[][] ids = PROMPTS.stream().map(p -> policy.tokenizer().encode(p)).toArray(int[][]::new);
        return new SamplingEvaluation(PROMPTS, ids, policy.tokenizer(), reward, 12, 2.0, SEED, show);
    }

    @Test
    void metricsAreTheirDefinitionsComputedOneCompletionAtATime() {
        Reward reward = Reward.named("length", 3);
        SamplingEvaluation evaluation = evaluation(reward, 2);
        Map<String, Double> m = evaluation.evaluate(policy, reference);

        int n = PROMPTS.size();
        int eos = policy.tokenizer().endOfSequence();
        int[][] prompts = PROMPTS.stream().map(p -> policy.tokenizer().encode(p)).toArray(int[][]::new);
        int[][] mine;
        int[][] theirs;
        try (var noGrad = Tensor.noGrad()) {
            mine = policy.sample(prompts, 12, new JavaRng(SEED));
            theirs = reference.sample(prompts, 12, new JavaRng(SEED));
        }
        double reward0 = 0;
        double rewardRef = 0;
        double win = 0;
        double length = 0;
        double ended = 0;
        double[] kl = new double[n];
        for (int i = 0; i < n; i++) {
            double r = reward.score(decode(mine[i], eos));
            double rr = reward.score(decode(theirs[i], eos));
            reward0 += r / n;
            rewardRef += rr / n;
            win += 1 / (1 + Math.exp(-(r - rr) / 2.0)) / n;
            kl[i] = logp(policy, prompts[i], mine[i]) - logp(reference, prompts[i], mine[i]);
            length += mine[i].length / (double) n;
            ended += mine[i][mine[i].length - 1] == eos ? 1.0 / n : 0;
        }
        double meanKl = Arrays.stream(kl).sum() / n;
        double var = Arrays.stream(kl).map(v -> (v - meanKl) * (v - meanKl)).sum() / (n - 1);

        assertThat(m.keySet()).containsExactly("eval/true_reward", "eval/true_reward_ref", "eval/win_rate_vs_ref", "eval/kl_ref",
                "eval/kl_ref_stderr", "eval/length", "eval/eos_share");
        assertThat(m.get("eval/true_reward")).isCloseTo(reward0, within(1e-12));
        assertThat(m.get("eval/true_reward_ref")).isCloseTo(rewardRef, within(1e-12));
        assertThat(m.get("eval/win_rate_vs_ref")).isCloseTo(win, within(1e-12));
        assertThat(m.get("eval/kl_ref")).isCloseTo(meanKl, within(1e-4));
        assertThat(m.get("eval/kl_ref_stderr")).isCloseTo(Math.sqrt(var / n), within(1e-4));
        assertThat(m.get("eval/length")).isCloseTo(length, within(1e-12));
        assertThat(m.get("eval/eos_share")).isCloseTo(ended, within(1e-12));
        // Two different random models: the estimate is not trivially 0, and the samples vary.
        assertThat(Math.abs(meanKl)).isGreaterThan(0.1);
        assertThat(Arrays.stream(mine).map(y -> reward.score(decode(y, eos))).distinct().count()).isGreaterThan(1);

        List<Map<String, Object>> samples = evaluation.samples();
        assertThat(samples).hasSize(2);
        assertThat(samples.get(1)).containsExactly(Map.entry("prompt", PROMPTS.get(1)),
                Map.entry("completion", decode(mine[1], eos)), Map.entry("reward", reward.score(decode(mine[1], eos))),
                Map.entry("reference_completion", decode(theirs[1], eos)),
                Map.entry("reference_reward", reward.score(decode(theirs[1], eos))));
    }

    @Test
    void anEvaluationDependsOnlyOnTheWeights() {
        SamplingEvaluation evaluation = evaluation(Reward.named("sentiment", 1), 1);
        Map<String, Double> first = evaluation.evaluate(policy, reference);
        Map<String, Double> again = evaluation.evaluate(policy, reference);
        assertThat(again).isEqualTo(first);
        assertThat(evaluation(Reward.named("sentiment", 1), 1).evaluate(policy, reference)).isEqualTo(first);
        // The policy against itself: the same completions, no divergence, a win rate of one half.
        Map<String, Double> self = evaluation.evaluate(policy, policy);
        assertThat(self.get("eval/kl_ref")).isZero();
        assertThat(self.get("eval/kl_ref_stderr")).isZero();
        assertThat(self.get("eval/true_reward")).isEqualTo(self.get("eval/true_reward_ref"));
        assertThat(self.get("eval/win_rate_vs_ref")).isEqualTo(0.5);
    }

    @Test
    void aCompletionEndsAtTheEndOfSequenceTokenWhichItsTextLeavesOut() {
        Policy.Tokenizer tokenizer = policy.tokenizer();
        int eos = tokenizer.endOfSequence();
        int[] words = tokenizer.encode("good hope");
        int[] ended = Arrays.copyOf(words, words.length + 1);
        ended[words.length] = eos;
        assertThat(eos).isEqualTo(299);
        assertThat(tokenizer.completion("good hope")).containsExactly(ended);
        assertThat(LanguageModels.ended(tokenizer, ended)).isTrue();
        assertThat(LanguageModels.ended(tokenizer, words)).isFalse();
        assertThat(LanguageModels.text(tokenizer, ended)).isEqualTo("good hope");
        assertThat(LanguageModels.text(tokenizer, words)).isEqualTo("good hope");
    }

    private static String decode(int[] completion, int eos) {
        int end = completion[completion.length - 1] == eos ? completion.length - 1 : completion.length;
        return policy.tokenizer().decode(Arrays.copyOf(completion, end));
    }

    private static double logp(Policy p, int[] prompt, int[] completion) {
        try (var noGrad = Tensor.noGrad()) {
            return p.score(Policy.Sequences.aligned(new int[][] {prompt}, new int[][] {completion})).sums()
                    .toDoubleArray()[0];
        }
    }
}
