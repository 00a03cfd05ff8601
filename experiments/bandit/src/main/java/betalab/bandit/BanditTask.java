package betalab.bandit;

import betalab.api.policy.Policy;
import betalab.api.random.Rng;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.task.PreferencePairs;
import betalab.api.task.Task;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * The synthetic contextual bandit as a task: prompts x and K candidate responses y per prompt,
 * all standard normal, a hidden reward r*(x, y) = (W*·x)·y, preference pairs drawn from the
 * reference policy and labelled by Bradley–Terry on r* (then flipped with probability ε), and an
 * exact evaluation on held-out prompts, summed over the candidates with no sampling.
 */
final class BanditTask implements Task {
    static final Knob<Integer> PROMPTS = Knob.integer("prompts", 1024, "N prompts x ~ N(0, I)").atLeast(2);
    static final Knob<Integer> PROMPT_DIM = Knob.integer("prompt_dim", 8, "dx, the width of a prompt").positive();
    static final Knob<Integer> RESPONSE_DIM = Knob.integer("response_dim", 8,
            "dy, the width of a candidate's embedding y ~ N(0, I)").positive();
    static final Knob<Integer> CANDIDATES = Knob.integer("candidates", 8, "K candidates per prompt").atLeast(2);
    static final Knob<Double> TEMPERATURE = Knob.real("temperature", 1.0,
            "T of the Bradley–Terry choice P(y ≻ y') = σ((r*(x,y) − r*(x,y'))/T)").positive();
    static final Knob<Double> LABEL_NOISE = Knob.real("label_noise", 0.0,
            "ε, the probability that a training label is flipped").between(0, 1, false);
    static final Knob<Double> EVAL_FRACTION = Knob.real("eval_fraction", 0.2,
            "share of prompts held out, with clean labels").between(0, 1, false).positive();
    static final Knob<Integer> PAIRS_PER_PROMPT = Knob.integer("pairs_per_prompt", 1,
            "preference pairs drawn for each prompt").positive();
    static final List<Knob<?>> KNOBS = List.of(PROMPTS, PROMPT_DIM, RESPONSE_DIM, CANDIDATES, TEMPERATURE,
            LABEL_NOISE, EVAL_FRACTION, PAIRS_PER_PROMPT);

    private final BanditEnvironment env;

    /** Draws W*, the prompts and the candidates, in that order, from the context's generator. */
    BanditTask(Settings settings, Context context) {
        env = BanditEnvironment.generate(BanditConfig.of(settings), context.rng());
    }

    BanditEnvironment environment() {
        return env;
    }

    @Override
    public int vocabularySize() {
        return env.config().candidates();
    }

    @Override
    public Map<String, Tensor> tables() {
        return Map.of("prompt_features", env.promptTable(), "candidate_embeddings", env.candidateTable());
    }

    @Override
    public int featureDim() {
        return env.config().promptDim();
    }

    /** Training pairs from the training prompts with label noise, then clean held-out pairs. */
    @Override
    public Prepared prepare(Policy reference, Rng rng) {
        int[] train = env.trainPromptIndices();
        int[] held = env.evalPromptIndices();
        PreferencePairs trainPairs = env.drawPairs(train, logProbs(reference, train), env.config().labelNoise(), rng);
        PreferencePairs heldOut = env.drawPairs(held, logProbs(reference, held), 0.0, rng);
        return new Prepared(trainPairs, new Evaluator() {
            @Override
            public Map<String, Double> evaluate(Policy policy, Policy ref) {
                return ExactEvaluation.evaluate(env, held, logProbs(policy, held), logProbs(ref, held), heldOut);
            }

            @Override
            public String headline() {
                return "eval/true_reward";
            }
        });
    }

    /** log π(y_k | x) of every candidate of these prompts, row-major [n, K], from the policy's scores. */
    static double[] logProbs(Policy policy, BanditEnvironment env, int[] prompts) {
        int k = env.config().candidates();
        int[][] promptTokens = new int[prompts.length][];
        int[][] completions = new int[prompts.length * k][];
        int[] promptOf = new int[prompts.length * k];
        for (int i = 0; i < prompts.length; i++) {
            promptTokens[i] = new int[] {prompts[i]};
            for (int c = 0; c < k; c++) {
                completions[i * k + c] = new int[] {c};
                promptOf[i * k + c] = i;
            }
        }
        try (var noGrad = Tensor.noGrad()) {
            return policy.score(new Policy.Sequences(promptTokens, completions, promptOf)).sums().toDoubleArray();
        }
    }

    private double[] logProbs(Policy policy, int[] prompts) {
        return logProbs(policy, env, prompts);
    }
}
