package betalab.bench;

import betalab.api.registry.Registry;
import betalab.seed.SeedExperiment;
import betalab.seed.SeedResult;
import betalab.training.Config;
import betalab.training.ConfigSchema;
import betalab.training.ConfigTree;
import betalab.training.PreferenceTraining;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The benchmarked workloads, each one call that does the whole job and returns a checksum (so
 * nothing is optimised away, and so the two sides can be compared for sanity). Sizes are those of
 * bench/pytorch/workloads.py; keep the two in step.
 */
final class Workloads {
    /** The seed experiment: 20×5 → 10 → 1 Softplus MLP, Adam lr 0.01, 200 steps (its defaults). */
    static final int SWEEP_SEEDS = 64;

    /** "medium": a β head on LM-sized prompt features, batch 512, 1024 → 256 → 1, Adam, 50 steps. */
    static final int MEDIUM_BATCH = 512;
    static final int MEDIUM_IN = 1024;
    static final int MEDIUM_HIDDEN = 256;
    static final int MEDIUM_STEPS = 50;

    /** The bandit: N = 4096, dx = dy = 16, K = 8, batch 256, Adam lr 0.01, 300 steps. */
    static final int BANDIT_STEPS = 300;
    static final int BANDIT_BATCH = 256;

    private final Registry registry;

    Workloads(Registry registry) {
        this.registry = registry;
    }

    /**
     * Floating-point operations of one medium run, counting the GEMMs only (2·m·k·n each): per
     * step the forward x·W1ᵀ and W1's gradient gᵀ·x (x needs no gradient), plus the small second
     * layer's forward and its two gradients; and one final forward for the reported β.
     */
    static double mediumFlops() {
        double b = MEDIUM_BATCH;
        double first = 2 * b * MEDIUM_IN * MEDIUM_HIDDEN;
        double second = 2 * b * MEDIUM_HIDDEN;
        return MEDIUM_STEPS * (2 * first + 3 * second) + first + second;
    }

    private Config config(ConfigSchema schema, Map<String, Object> tree) {
        return schema.resolve(ConfigTree.of(tree, "bench"), registry);
    }

    double seed() {
        return seed(SeedExperiment.SEED.defaultValue());
    }

    double seed(long seed) {
        return checksum(SeedExperiment.run(registry, config(SeedExperiment.SCHEMA, Map.of("seed", seed)),
                (epoch, loss) -> { }));
    }

    /** The seed experiment for seeds 0 … 63, spread over the pool's threads. */
    double sweep(ExecutorService pool) throws Exception {
        List<Future<Double>> runs = new ArrayList<>();
        for (int s = 0; s < SWEEP_SEEDS; s++) {
            long seed = s;
            runs.add(pool.submit(() -> seed(seed)));
        }
        double sum = 0;
        for (Future<Double> f : runs) {
            sum += f.get();
        }
        return sum;
    }

    /** The same 64 seeds one after another on the calling thread. */
    double sweepSequential() {
        double sum = 0;
        for (int s = 0; s < SWEEP_SEEDS; s++) {
            sum += seed(s);
        }
        return sum;
    }

    double medium() {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("seed", 0);
        tree.put("epochs", MEDIUM_STEPS);
        tree.put("samples", MEDIUM_BATCH);
        tree.put("dim", MEDIUM_IN);
        tree.put("beta", Map.of("name", "softplus_mlp", "hidden", List.of(MEDIUM_HIDDEN)));
        return checksum(SeedExperiment.run(registry, config(SeedExperiment.SCHEMA, tree), (epoch, loss) -> { }));
    }

    private static double checksum(SeedResult r) {
        return r.loss()[r.loss().length - 1];
    }

    /**
     * Bandit DPO's training through the one training loop as {@code betalab train} runs it (task,
     * policy and frozen reference, pairs drawn from the reference, a fresh permutation each epoch;
     * per step the batch's scores, the loss, backward, the non-finite checks, the gradient norm,
     * Adam and the preference metrics), without the evaluations and files around it.
     *
     * @param learnable false: fixed β = 0.1 (bandit-dpo.yaml); true: β(x; πθ) = softplus(MLP dy → 32 → 1)
     *                  on the policy's representation (bandit-learnable-beta.yaml, label noise 0.2)
     */
    double bandit(boolean learnable) {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("seed", 0);
        tree.put("steps", BANDIT_STEPS);
        tree.put("batch_size", BANDIT_BATCH);
        tree.put("task", Map.of("name", "bandit", "prompts", 4096, "prompt_dim", 16, "response_dim", 16,
                "candidates", 8, "label_noise", learnable ? 0.2 : 0.0));
        tree.put("policy", Map.of("name", "log_linear"));
        tree.put("loss", Map.of("name", "sigmoid"));
        tree.put("beta", learnable ? Map.of("name", "policy_mlp", "hidden", List.of(32))
                : Map.of("name", "fixed", "beta", 0.1));
        tree.put("optimizer", Map.of("name", "adam", "lr", 0.01));
        Map<String, Object> last = PreferenceTraining.trainInMemory(registry, config(PreferenceTraining.SCHEMA, tree));
        return ((Number) last.get("loss")).doubleValue();
    }
}
