package betalab.experiments.bandit;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The synthetic preference environment: a contextual bandit small enough to evaluate exactly.
 *
 * @param prompts        N, the number of prompts x ∈ R^dx (standard normal)
 * @param promptDim      dx
 * @param responseDim    dy, the width of each candidate's embedding y (standard normal)
 * @param candidates     K, candidate responses per prompt
 * @param temperature    T of the Bradley–Terry choice: P(y ≻ y') = σ((r*(x,y) − r*(x,y'))/T)
 * @param labelNoise     ε, the probability that a training label is flipped
 * @param evalFraction   share of prompts held out for evaluation, whose labels are never flipped
 * @param pairsPerPrompt preference pairs drawn for each prompt
 */
public record BanditConfig(int prompts, @JsonProperty("prompt_dim") int promptDim,
                           @JsonProperty("response_dim") int responseDim, int candidates, double temperature,
                           @JsonProperty("label_noise") double labelNoise,
                           @JsonProperty("eval_fraction") double evalFraction,
                           @JsonProperty("pairs_per_prompt") int pairsPerPrompt) {

    public static BanditConfig defaults() {
        return new BanditConfig(1024, 8, 8, 8, 1.0, 0.0, 0.2, 1);
    }

    /** From a config file: an absent field takes its default. */
    @JsonCreator
    static BanditConfig fromConfig(@JsonProperty("prompts") Integer prompts,
                                   @JsonProperty("prompt_dim") Integer promptDim,
                                   @JsonProperty("response_dim") Integer responseDim,
                                   @JsonProperty("candidates") Integer candidates,
                                   @JsonProperty("temperature") Double temperature,
                                   @JsonProperty("label_noise") Double labelNoise,
                                   @JsonProperty("eval_fraction") Double evalFraction,
                                   @JsonProperty("pairs_per_prompt") Integer pairsPerPrompt) {
        BanditConfig d = defaults();
        return new BanditConfig(or(prompts, d.prompts), or(promptDim, d.promptDim), or(responseDim, d.responseDim),
                or(candidates, d.candidates), or(temperature, d.temperature), or(labelNoise, d.labelNoise),
                or(evalFraction, d.evalFraction), or(pairsPerPrompt, d.pairsPerPrompt));
    }

    static <T> T or(T value, T fallback) {
        return value == null ? fallback : value;
    }

    /** Checks every field, naming the first one out of range. */
    public BanditConfig {
        Checks.require(prompts >= 2, "environment.prompts", "≥ 2", prompts);
        Checks.require(promptDim >= 1, "environment.prompt_dim", "≥ 1", promptDim);
        Checks.require(responseDim >= 1, "environment.response_dim", "≥ 1", responseDim);
        Checks.require(candidates >= 2, "environment.candidates", "≥ 2", candidates);
        Checks.require(temperature > 0 && Double.isFinite(temperature), "environment.temperature", "> 0",
                temperature);
        Checks.require(labelNoise >= 0 && labelNoise < 1, "environment.label_noise", "in [0, 1)", labelNoise);
        Checks.require(evalFraction > 0 && evalFraction < 1, "environment.eval_fraction", "in (0, 1)",
                evalFraction);
        Checks.require(pairsPerPrompt >= 1, "environment.pairs_per_prompt", "≥ 1", pairsPerPrompt);
        int eval = evalPrompts(prompts, evalFraction);
        Checks.require(eval >= 1 && eval < prompts, "environment.eval_fraction",
                "a share leaving at least one prompt on each side", evalFraction);
    }

    /** Prompts held out for evaluation: the last ones. */
    public int evalPrompts() {
        return evalPrompts(prompts, evalFraction);
    }

    private static int evalPrompts(int prompts, double fraction) {
        return (int) Math.round(prompts * fraction);
    }
}
