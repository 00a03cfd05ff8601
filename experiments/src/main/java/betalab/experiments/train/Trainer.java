package betalab.experiments.train;

import betalab.api.optim.Optimizer;
import betalab.api.policy.Policy;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceObjective;
import betalab.api.random.Rng;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.NonFiniteValueException;
import betalab.api.tensor.Tensor;
import betalab.experiments.FiniteCheck;
import betalab.experiments.bandit.BanditEnvironment;
import betalab.experiments.bandit.ExactEvaluation;
import betalab.experiments.bandit.PreferencePairs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DPO-family training of a policy on the bandit environment: the policy, and the β scheme with it,
 * trained by the chosen preference loss; TRL's metrics every step; exact evaluation every
 * {@code eval_every} steps; checkpoints every {@code checkpoint_every} steps, from which
 * {@link #resume} continues to the same final numbers as an uninterrupted run.
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    /** Hears every evaluated row (step 0, every eval_every steps, the last step) as training goes. */
    @FunctionalInterface
    public interface Listener {
        void evaluated(Map<String, Object> row);
    }

    private final Registry registry;
    private final Listener listener;

    public Trainer(Registry registry) {
        this(registry, row -> { });
    }

    public Trainer(Registry registry, Listener listener) {
        this.registry = registry;
        this.listener = listener;
    }

    /** Trains from scratch into {@code dir}, which must not already hold a run. */
    public RunDirectory.Summary train(TrainConfig config, Path dir) {
        return train(config, dir, Integer.MAX_VALUE);
    }

    /** As {@link #train(TrainConfig, Path)}, stopping (as if interrupted) after {@code stopAfter} steps. */
    public RunDirectory.Summary train(TrainConfig config, Path dir, int stopAfter) {
        RunDirectory.refuseExisting(dir);
        // Everything is built before the directory is made, so a bad name leaves nothing behind.
        Session session = new Session(config);
        return session.run(RunDirectory.create(dir, config, registry.extensions()), null, stopAfter);
    }

    /** Continues the run in {@code dir} from its latest checkpoint. */
    public RunDirectory.Summary resume(Path dir) {
        RunDirectory run = RunDirectory.open(dir);
        return new Session(run.config()).run(run, run.checkpoint(), Integer.MAX_VALUE);
    }

    /** Runs {@code build}, prefixing any complaint with the config field it came from. */
    private static <T> T field(String name, java.util.function.Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        }
    }

    /** One run: everything built from the config, deterministically, then trained. */
    private final class Session {
        private final TrainConfig config;
        private RunDirectory run;
        private final Rng rng;
        private final BanditEnvironment env;
        private final Policy policy;
        private final Policy reference;
        private final BetaEstimator beta;
        private final PreferenceObjective objective;
        private final Optimizer optimizer;
        private final List<Tensor> parameters = new ArrayList<>();
        private final List<String> parameterNames = new ArrayList<>();
        private final PreferencePairs trainPairs;
        private final PreferencePairs heldOut;
        private int[] order;

        Session(TrainConfig config) {
            this.config = config;
            rng = Rng.named(config.rng(), config.seed());
            env = BanditEnvironment.generate(config.environment(), rng);
            int dx = env.config().promptDim();
            int dy = env.config().responseDim();
            policy = field("policy", () -> registry.policy(config.policy().name(), config.policy().knobs(),
                    new Policy.Context(dx, dy, rng, DType.FLOAT32)));
            // The reference starts as a copy; its own initial draws come from a throwaway generator.
            reference = registry.policy(config.policy().name(), config.policy().knobs(),
                    new Policy.Context(dx, dy, Rng.named(config.rng(), config.seed()), DType.FLOAT32));
            reference.loadState(policy.state());

            trainPairs = pairs(env.trainPromptIndices(), config.environment().labelNoise());
            heldOut = pairs(env.evalPromptIndices(), 0.0);

            beta = field("beta", () -> registry.betaEstimator(config.beta().name(), config.beta().knobs(),
                    new BetaEstimator.Context(dx, dy, rng, DType.FLOAT32)));
            objective = registry.objective(beta,
                    field("loss", () -> registry.loss(config.loss().name(), config.loss().knobs())));
            List<Tensor> policyParameters = policy.parameters();
            for (int i = 0; i < policyParameters.size(); i++) {
                parameters.add(policyParameters.get(i));
                parameterNames.add("policy parameter " + i);
            }
            List<Tensor> betaParameters = objective.parameters();
            for (int i = 0; i < betaParameters.size(); i++) {
                parameters.add(betaParameters.get(i));
                parameterNames.add("beta parameter " + i);
            }
            optimizer = field("optimizer", () -> registry.optimizer(config.optimizer().name(),
                    config.optimizer().knobs(), parameters));
        }

        private PreferencePairs pairs(int[] prompts, double flipRate) {
            double[] refLogps;
            try (var noGrad = Tensor.noGrad()) {
                refLogps = logProbs(reference, prompts).toDoubleArray();
            }
            return env.drawPairs(prompts, refLogps, flipRate, rng);
        }

        private Tensor logProbs(Policy p, int[] prompts) {
            return Policy.logProbs(p.encode(env.prompts(prompts)), env.candidates(prompts));
        }

        RunDirectory.Summary run(RunDirectory directory, RunDirectory.Checkpoint from, int stopAfter) {
            run = directory;
            int step = 0;
            List<Map<String, Object>> rows = new ArrayList<>();
            if (from != null) {
                step = from.step();
                policy.loadState(from.policy());
                reference.loadState(from.reference());
                beta.loadState(from.beta());
                optimizer.loadState(from.optimizer());
                rng.loadState(from.rng());
                order = from.order();
                rows.addAll(run.metricsUpTo(step));
                LOG.info("resuming {} at step {}", run.path(), step);
            } else {
                rows.add(withEvaluation(0, new LinkedHashMap<>()));
            }
            int batches = TrainConfig.stepsPerEpoch(config.environment(), config.batchSize());
            int last = Math.min(config.steps(), stopAfter);
            try {
                while (step < last) {
                    step++;
                    int position = (step - 1) % batches;
                    if (position == 0 || order == null) {
                        order = permutation(trainPairs.size());
                    }
                    Map<String, Object> row = trainStep(step, batch(position));
                    if (step % config.evalEvery() == 0 || step == config.steps()) {
                        withEvaluation(step, row);
                    }
                    rows.add(row);
                    if (config.referenceSync().due(step)) {
                        syncReference(config.referenceSync().weight());
                    }
                    if (step % config.checkpointEvery() == 0 || step == last) {
                        run.saveCheckpoint(checkpoint(step), rows);
                    }
                }
            } catch (NonFiniteValueException e) {
                run.fail(e.getMessage(), rows);
                throw e;
            }
            if (step < config.steps()) {
                return run.summary(rows, "interrupted");
            }
            writePairs();
            return run.complete(rows);
        }

        private int[] batch(int position) {
            int from = position * config.batchSize();
            int to = Math.min(order.length, from + config.batchSize());
            int[] picked = new int[to - from];
            System.arraycopy(order, from, picked, 0, picked.length);
            return picked;
        }

        /** A fresh permutation of the training pairs: Fisher–Yates with the run's generator. */
        private int[] permutation(int n) {
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

        private Map<String, Object> trainStep(int step, int[] positions) {
            PreferencePairs pairs = trainPairs.select(positions);
            PreferenceBatch batch = batch(pairs);
            PreferenceObjective.Evaluation e = objective.train(batch);
            FiniteCheck.require(step, "beta", e.beta());
            FiniteCheck.require(step, "loss", e.loss());
            optimizer.zeroGrad();
            e.loss().backward();
            double gradNorm = 0;
            for (int i = 0; i < parameters.size(); i++) {
                Tensor g = parameters.get(i).grad();
                if (g != null) {
                    FiniteCheck.require(step, "gradient of " + parameterNames.get(i), g);
                    for (double v : g.toDoubleArray()) {
                        gradNorm += v * v;
                    }
                }
            }
            gradNorm = Math.sqrt(gradNorm);
            if (config.gradClip() > 0 && gradNorm > config.gradClip()) {
                // As torch.nn.utils.clip_grad_norm_.
                double scale = config.gradClip() / (gradNorm + 1e-6);
                parameters.stream().map(Tensor::grad).filter(g -> g != null).forEach(g -> g.scaleInPlace(scale));
            }
            optimizer.step();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("step", step);
            row.put("loss", e.loss().item());
            row.putAll(Metrics.rewards(batch, e.beta()));
            row.put("grad_norm", gradNorm);
            return row;
        }

        /** The batch of these pairs: policy and reference log-probs, features, the policy's representation. */
        private PreferenceBatch batch(PreferencePairs pairs) {
            int k = env.config().candidates();
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
            // The bandit's analogue of prompt perplexity: exp(H(πθ(·|x))), as Σ π log π over one "token".
            Tensor negEntropy = logps.exp().mul(logps).sum(1);
            return PreferenceBatch.of(logps.gather(chosen), logps.gather(rejected), refLogps.gather(chosen),
                            refLogps.gather(rejected))
                    .features(x).representation(representation)
                    .prompt(negEntropy, negEntropy.detach().zerosLike().add(1.0)).build();
        }

        private static int[] flat(int[] candidate, int k) {
            int[] out = new int[candidate.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = i * k + candidate[i];
            }
            return out;
        }

        /** Exact evaluation on the held-out prompts, and β on flipped against clean training pairs. */
        private Map<String, Object> withEvaluation(int step, Map<String, Object> row) {
            row.put("step", step);
            try (var noGrad = Tensor.noGrad()) {
                int[] prompts = env.evalPromptIndices();
                row.putAll(ExactEvaluation.evaluate(env, prompts, logProbs(policy, prompts).toDoubleArray(),
                        logProbs(reference, prompts).toDoubleArray(), heldOut));
                double[] betas = objective.evaluate(batch(trainPairs)).beta().toDoubleArray();
                row.putAll(Metrics.betaByLabel(betas, trainPairs.flipped()));
            }
            listener.evaluated(row);
            return row;
        }

        /** Every training pair's final margin h and β, and whether its label was flipped: for β-vs-Δ plots. */
        private void writePairs() {
            try (var noGrad = Tensor.noGrad()) {
                PreferenceBatch all = batch(trainPairs);
                run.writePairs(all.margin().toDoubleArray(), objective.evaluate(all).beta().toDoubleArray(),
                        trainPairs.flipped());
            }
        }

        private void syncReference(double weight) {
            try (var noGrad = Tensor.noGrad()) {
                List<Tensor> target = reference.parameters();
                List<Tensor> source = policy.parameters();
                for (int i = 0; i < target.size(); i++) {
                    target.get(i).scaleInPlace(1 - weight).addInPlace(source.get(i), weight);
                }
            }
        }

        private RunDirectory.Checkpoint checkpoint(int step) {
            return new RunDirectory.Checkpoint(step, order, policy.state(), reference.state(), beta.state(),
                    optimizer.state(), rng.state());
        }
    }
}
