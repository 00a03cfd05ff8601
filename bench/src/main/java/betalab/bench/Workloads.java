package betalab.bench;

import betalab.api.optim.Optimizer;
import betalab.api.policy.Policy;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceObjective;
import betalab.api.random.Rng;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import betalab.training.FiniteCheck;
import betalab.bandit.BanditConfig;
import betalab.bandit.BanditEnvironment;
import betalab.bandit.PreferencePairs;
import betalab.seed.SeedConfig;
import betalab.seed.SeedExperiment;
import betalab.seed.SeedResult;
import java.util.ArrayList;
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
    /** The seed experiment: 20×5 → 10 → 1 Softplus MLP, Adam lr 0.01, 200 steps. */
    static final SeedConfig SEED = SeedConfig.defaults();
    static final int SWEEP_SEEDS = 64;

    /** "medium": a β head on LM-sized prompt features, batch 512, 1024 → 256 → 1, Adam, 50 steps. */
    static final int MEDIUM_BATCH = 512;
    static final int MEDIUM_IN = 1024;
    static final int MEDIUM_HIDDEN = 256;
    static final int MEDIUM_STEPS = 50;
    static final SeedConfig MEDIUM = new SeedConfig(0, MEDIUM_STEPS, MEDIUM_BATCH, MEDIUM_IN, List.of(MEDIUM_HIDDEN),
            0.01, "torch", "softplus_mlp", "sigmoid", "adam");

    /** The bandit: N = 4096, dx = dy = 16, K = 8, batch 256, Adam lr 0.01, 300 steps. */
    static final int BANDIT_STEPS = 300;
    static final int BANDIT_BATCH = 256;

    private final Registry registry;
    /** Values computed only to be computed, as the trainer logs them. */
    static volatile double sink;

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

    double seed() {
        return checksum(new SeedExperiment(registry).run(SEED, (epoch, loss) -> { }));
    }

    double seed(long seed) {
        return checksum(new SeedExperiment(registry).run(SEED.withSeed(seed), (epoch, loss) -> { }));
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
        return checksum(new SeedExperiment(registry).run(MEDIUM, (epoch, loss) -> { }));
    }

    private static double checksum(SeedResult r) {
        return r.loss()[r.loss().length - 1];
    }

    /**
     * Bandit DPO's training, as {@code Trainer} runs it step for step (environment, policy and
     * frozen reference, pairs drawn from the reference, a fresh permutation each epoch; per step the
     * batch's log-probabilities, the loss, backward, the gradient norm, Adam, TRL's reward
     * metrics), without the exact evaluations and checkpoint files around it.
     *
     * @param learnable false: fixed β = 0.1 (bandit-dpo.yaml); true: β(x; πθ) = softplus(MLP dy → 32 → 1)
     *                  on the policy's representation (bandit-learnable-beta.yaml, label noise 0.2)
     */
    double bandit(boolean learnable) {
        BanditConfig envConfig = new BanditConfig(4096, 16, 16, 8, 1.0, learnable ? 0.2 : 0.0, 0.2, 1);
        long seed = 0;
        Rng rng = Rng.named("torch", seed);
        BanditEnvironment env = BanditEnvironment.generate(envConfig, rng);
        int dx = envConfig.promptDim();
        int dy = envConfig.responseDim();
        int k = envConfig.candidates();
        Policy policy = registry.policy("log_linear", Map.of(), new Policy.Context(dx, dy, rng, DType.FLOAT32));
        Policy reference = registry.policy("log_linear", Map.of(),
                new Policy.Context(dx, dy, Rng.named("torch", seed), DType.FLOAT32));
        reference.loadState(policy.state());

        int[] trainPrompts = env.trainPromptIndices();
        double[] refLogps;
        try (var noGrad = Tensor.noGrad()) {
            refLogps = Policy.logProbs(reference.encode(env.prompts(trainPrompts)), env.candidates(trainPrompts))
                    .toDoubleArray();
        }
        PreferencePairs trainPairs = env.drawPairs(trainPrompts, refLogps, envConfig.labelNoise(), rng);

        BetaEstimator beta = learnable
                ? registry.betaEstimator("policy_mlp", Map.of("hidden", List.of(32)),
                        new BetaEstimator.Context(dx, dy, rng, DType.FLOAT32))
                : registry.betaEstimator("fixed", Map.of("beta", 0.1),
                        new BetaEstimator.Context(dx, dy, rng, DType.FLOAT32));
        PreferenceObjective objective = registry.objective(beta, registry.loss("sigmoid", Map.of()));
        List<Tensor> parameters = new ArrayList<>(policy.parameters());
        parameters.addAll(objective.parameters());
        Optimizer optimizer = registry.optimizer("adam", Map.of("lr", 0.01), parameters);

        int batches = (trainPairs.size() + BANDIT_BATCH - 1) / BANDIT_BATCH;
        int[] order = null;
        double checksum = 0;
        for (int step = 1; step <= BANDIT_STEPS; step++) {
            int position = (step - 1) % batches;
            if (position == 0) {
                order = permutation(rng, trainPairs.size());
            }
            int from = position * BANDIT_BATCH;
            int to = Math.min(order.length, from + BANDIT_BATCH);
            int[] picked = new int[to - from];
            System.arraycopy(order, from, picked, 0, picked.length);
            PreferencePairs pairs = trainPairs.select(picked);

            PreferenceBatch batch = batch(env, policy, reference, pairs, k);
            PreferenceObjective.Evaluation e = objective.train(batch);
            FiniteCheck.require(step, "beta", e.beta());
            FiniteCheck.require(step, "loss", e.loss());
            optimizer.zeroGrad();
            e.loss().backward();
            double gradNorm = 0;
            for (Tensor p : parameters) {
                Tensor g = p.grad();
                if (g != null) {
                    FiniteCheck.require(step, "gradient", g);
                    for (double v : g.toDoubleArray()) {
                        gradNorm += v * v;
                    }
                }
            }
            gradNorm = Math.sqrt(gradNorm);
            optimizer.step();
            double loss = e.loss().item();
            checksum = loss;
            sink += gradNorm + rewards(batch, e.beta());
        }
        return checksum;
    }

    /** As Trainer's batch(): log-probs of policy and reference, features, representation, entropy. */
    private static PreferenceBatch batch(BanditEnvironment env, Policy policy, Policy reference, PreferencePairs pairs,
                                         int k) {
        int[] prompts = pairs.prompt();
        Tensor x = env.prompts(prompts);
        Tensor candidates = env.candidates(prompts);
        Tensor representation = policy.encode(x);
        Tensor logps = Policy.logProbs(representation, candidates);
        Tensor refLogps;
        try (var noGrad = Tensor.noGrad()) {
            refLogps = Policy.logProbs(reference.encode(x), candidates);
        }
        int[] chosen = flat(pairs.chosen(), k);
        int[] rejected = flat(pairs.rejected(), k);
        Tensor negEntropy = logps.exp().mul(logps).sum(1);
        return PreferenceBatch.of(logps.gather(chosen), logps.gather(rejected), refLogps.gather(chosen),
                        refLogps.gather(rejected))
                .features(x).representation(representation)
                .prompt(negEntropy, negEntropy.detach().zerosLike().add(1.0)).build();
    }

    /** TRL's reward metrics as Trainer's Metrics.rewards computes them on the host; their sum. */
    private static double rewards(PreferenceBatch batch, Tensor betaUsed) {
        double[] beta = betaUsed.toDoubleArray();
        double[] c = batch.chosenLogRatio().toDoubleArray();
        double[] r = batch.rejectedLogRatio().toDoubleArray();
        double[] pc = batch.policyChosen().toDoubleArray();
        double[] pr = batch.policyRejected().toDoubleArray();
        double chosen = 0;
        double rejected = 0;
        double accurate = 0;
        double logps = 0;
        double betaSum = 0;
        for (int i = 0; i < beta.length; i++) {
            chosen += beta[i] * c[i];
            rejected += beta[i] * r[i];
            accurate += beta[i] * c[i] > beta[i] * r[i] ? 1 : 0;
            logps += pc[i] + pr[i];
            betaSum += beta[i];
        }
        return (chosen + rejected + accurate + logps + betaSum) / beta.length;
    }

    private static int[] flat(int[] candidate, int k) {
        int[] out = new int[candidate.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = i * k + candidate[i];
        }
        return out;
    }

    /** Fisher–Yates with the run's generator, as Trainer draws each epoch's order. */
    private static int[] permutation(Rng rng, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        double[] u = rng.uniform(n, 0, 1);
        for (int i = n - 1; i > 0; i--) {
            int j = Math.min(i, (int) (u[i] * (i + 1)));
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
