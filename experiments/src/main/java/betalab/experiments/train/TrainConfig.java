package betalab.experiments.train;

import betalab.experiments.bandit.BanditConfig;
import betalab.experiments.bandit.Checks;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Everything a training run is: read from YAML or JSON by {@link ConfigReader}, written back
 * resolved (defaults filled in) into the run directory, and enough to replay the run. Methods are
 * chosen by registry name; the config never names a class.
 *
 * @param seed            seeds every random draw: environment, initial weights, batch order
 * @param rng             "torch" (PyTorch's CPU generator) or "java"
 * @param steps           optimizer steps (or give epochs)
 * @param batchSize       pairs per step
 * @param evalEvery       steps between exact evaluations (and at the start and the end)
 * @param checkpointEvery steps between checkpoints (and at the end)
 * @param gradClip        largest global gradient norm; 0 turns clipping off
 * @param environment     the synthetic bandit
 * @param policy          the policy πθ by name ({@code log_linear}, {@code mlp}) with its knobs
 * @param referenceSync   TR-DPO reference updates
 * @param loss            the preference loss by name with its knobs
 * @param beta            the β scheme by name with its knobs
 * @param optimizer       the optimizer by name with its knobs
 */
public record TrainConfig(long seed, String rng, int steps, @JsonProperty("batch_size") int batchSize,
                          @JsonProperty("eval_every") int evalEvery,
                          @JsonProperty("checkpoint_every") int checkpointEvery,
                          @JsonProperty("grad_clip") double gradClip, BanditConfig environment,
                          ComponentConfig policy, @JsonProperty("reference_sync") ReferenceSync referenceSync,
                          ComponentConfig loss, ComponentConfig beta, ComponentConfig optimizer) {

    public TrainConfig {
        Checks.require(rng.equals("torch") || rng.equals("java"), "rng", "torch or java", rng);
        Checks.require(steps >= 1, "steps", "≥ 1", steps);
        Checks.require(batchSize >= 1, "batch_size", "≥ 1", batchSize);
        Checks.require(evalEvery >= 1, "eval_every", "≥ 1", evalEvery);
        Checks.require(checkpointEvery >= 1, "checkpoint_every", "≥ 1", checkpointEvery);
        Checks.require(gradClip >= 0 && Double.isFinite(gradClip), "grad_clip", "≥ 0", gradClip);
    }

    /**
     * From a config file. {@code loss}, {@code beta}, {@code optimizer} and one of {@code steps} or
     * {@code epochs} are required; everything else has a default.
     */
    @JsonCreator
    static TrainConfig fromConfig(@JsonProperty("seed") Long seed, @JsonProperty("rng") String rng,
                                  @JsonProperty("steps") Integer steps, @JsonProperty("epochs") Integer epochs,
                                  @JsonProperty("batch_size") Integer batchSize,
                                  @JsonProperty("eval_every") Integer evalEvery,
                                  @JsonProperty("checkpoint_every") Integer checkpointEvery,
                                  @JsonProperty("grad_clip") Double gradClip,
                                  @JsonProperty("environment") BanditConfig environment,
                                  @JsonProperty("policy") ComponentConfig policy,
                                  @JsonProperty("reference_sync") ReferenceSync referenceSync,
                                  @JsonProperty("loss") ComponentConfig loss,
                                  @JsonProperty("beta") ComponentConfig beta,
                                  @JsonProperty("optimizer") ComponentConfig optimizer) {
        require(loss, "loss");
        require(beta, "beta");
        require(optimizer, "optimizer");
        if ((steps == null) == (epochs == null)) {
            throw new IllegalArgumentException("give exactly one of the fields 'steps' and 'epochs'");
        }
        BanditConfig env = environment == null ? BanditConfig.defaults() : environment;
        int batch = batchSize == null ? 64 : batchSize;
        Checks.require(batch >= 1, "batch_size", "≥ 1", batch);
        int totalSteps = steps != null ? steps : epochs * stepsPerEpoch(env, batch);
        if (epochs != null) {
            Checks.require(epochs >= 1, "epochs", "≥ 1", epochs);
        }
        int eval = evalEvery == null ? Math.max(1, totalSteps / 10) : evalEvery;
        return new TrainConfig(seed == null ? 0 : seed, rng == null ? "torch" : rng, totalSteps, batch, eval,
                checkpointEvery == null ? eval : checkpointEvery, gradClip == null ? 0 : gradClip, env,
                policy == null ? ComponentConfig.of("log_linear") : policy,
                referenceSync == null ? ReferenceSync.none() : referenceSync, loss, beta, optimizer);
    }

    /** Steps that visit every training pair once. */
    public static int stepsPerEpoch(BanditConfig env, int batchSize) {
        int pairs = (env.prompts() - env.evalPrompts()) * env.pairsPerPrompt();
        return (pairs + batchSize - 1) / batchSize;
    }

    private static void require(Object section, String name) {
        if (section == null) {
            throw new IllegalArgumentException("missing field '" + name + "'");
        }
    }
}
