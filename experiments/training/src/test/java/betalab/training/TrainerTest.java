package betalab.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.registry.Extension;
import betalab.api.registry.Extensions;
import betalab.api.registry.Registry;
import betalab.api.tensor.NonFiniteValueException;
import betalab.api.tensor.Tensor;
import betalab.bandit.BanditConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.inject.AbstractModule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TrainerTest {
    private static final Registry REGISTRY = Registry.discover();

    static TrainConfig config(int steps, ComponentConfig beta, double noise) {
        return new TrainConfig(3, "torch", steps, 64, 10, 10, 0, new BanditConfig(256, 6, 6, 5, 1.0, noise, 0.25, 1),
                ComponentConfig.of("log_linear"), ReferenceSync.none(), ComponentConfig.of("sigmoid"), beta,
                new ComponentConfig("adam", Map.of("lr", 0.05)));
    }

    static final ComponentConfig FIXED = new ComponentConfig("fixed", Map.of("beta", 0.5));

    @Test
    void dpoOnCleanLabelsRaisesTheTrueRewardAboveTheReferences(@TempDir Path dir) throws Exception {
        RunDirectory.Summary summary = new Trainer(REGISTRY).train(config(60, FIXED, 0.0), dir);

        List<JsonNode> rows = rows(dir);
        double start = rows.get(0).get("eval/true_reward").asDouble();
        assertThat(rows.get(0).get("eval/kl_ref").asDouble()).isZero();
        assertThat(rows.get(0).get("eval/win_rate_vs_ref").asDouble()).isCloseTo(0.5, within(1e-6));
        assertThat(summary.status()).isEqualTo("completed");
        assertThat((double) summary.last().get("eval/true_reward")).isGreaterThan(start + 0.1);
        assertThat((double) summary.last().get("eval/win_rate_vs_ref")).isGreaterThan(0.55);
        assertThat((double) summary.last().get("eval/kl_ref")).isPositive();
        assertThat(rows).hasSize(61);
        assertThat(rows.get(1).fieldNames()).toIterable().contains("loss", "rewards/chosen", "rewards/rejected",
                "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected", "beta/mean", "beta/std",
                "beta/min", "beta/max");
        assertThat(Files.readAllLines(dir.resolve(RunDirectory.METRICS_CSV))).hasSize(62);
        List<String> pairs = Files.readAllLines(dir.resolve(RunDirectory.PAIRS));
        assertThat(pairs.get(0)).isEqualTo("margin,beta,flipped");
        assertThat(pairs).hasSize(1 + 192).allMatch(line -> line.split(",").length == 3);
        JsonNode provenance = new ObjectMapper().readTree(dir.resolve(RunDirectory.PROVENANCE).toFile());
        assertThat(provenance.get("extensions").toString()).contains("LossesExtension", "PoliciesExtension");
        assertThat(provenance.has("started") && provenance.has("ended") && provenance.has("git_commit")).isTrue();
        assertThat(ConfigReader.read(dir.resolve(RunDirectory.CONFIG))).isEqualTo(config(60, FIXED, 0.0));
    }

    static List<ComponentConfig> statefulSchemes() {
        return List.of(new ComponentConfig("policy_mlp", Map.of("hidden", List.of(4))),
                new ComponentConfig("beta_dpo_instance", Map.of("filter", true)));
    }

    /** Every piece of state must survive: policy, reference, β network or statistics, Adam, generator. */
    @ParameterizedTest
    @MethodSource("statefulSchemes")
    void resumingAnInterruptedRunEndsWithTheSameMetrics(ComponentConfig scheme, @TempDir Path dir) throws Exception {
        TrainConfig config = config(35, scheme, 0.2);
        new Trainer(REGISTRY).train(config, dir.resolve("straight"));

        RunDirectory.Summary stopped = new Trainer(REGISTRY).train(config, dir.resolve("resumed"), 23);
        assertThat(stopped.status()).isEqualTo("interrupted");
        RunDirectory.Summary resumed = new Trainer(REGISTRY).resume(dir.resolve("resumed"));

        assertThat(resumed.status()).isEqualTo("completed");
        List<JsonNode> straight = rows(dir.resolve("straight"));
        assertThat(rows(dir.resolve("resumed"))).isEqualTo(straight);
        assertThat(straight.get(straight.size() - 1).has("eval/beta_flipped")).isTrue();
    }

    @Test
    void aNonFiniteBetaStopsTheRunNamingStepAndQuantity(@TempDir Path dir) throws Exception {
        List<com.google.inject.Module> modules = new ArrayList<>(Extensions.discover());
        modules.add(new PoisonedBetaExtension());
        Trainer trainer = new Trainer(Registry.of(modules));

        assertThatThrownBy(() -> trainer.train(config(20, ComponentConfig.of("poisoned"), 0.0), dir))
                .isInstanceOf(NonFiniteValueException.class).hasMessage("non-finite beta at step 4");
        JsonNode summary = new ObjectMapper().readTree(dir.resolve(RunDirectory.SUMMARY).toFile());
        assertThat(summary.get("status").asText()).isEqualTo("failed");
        assertThat(summary.get("error").asText()).isEqualTo("non-finite beta at step 4");
    }

    @Test
    void trDpoSyncKeepsTheReferenceCloseToThePolicy(@TempDir Path dir) throws Exception {
        TrainConfig frozen = config(30, FIXED, 0.0);
        TrainConfig hard = withSync(frozen, new ReferenceSync("hard", 1, 1.0));
        TrainConfig softFull = withSync(frozen, new ReferenceSync("soft", 1, 1.0));
        double klFrozen = klAtEnd(new Trainer(REGISTRY).train(frozen, dir.resolve("frozen")));
        double klHard = klAtEnd(new Trainer(REGISTRY).train(hard, dir.resolve("hard")));
        new Trainer(REGISTRY).train(softFull, dir.resolve("soft"));

        assertThat(klHard).isLessThan(klFrozen / 5);
        // A soft update with α = 1 is a hard one.
        assertThat(rows(dir.resolve("soft"))).isEqualTo(rows(dir.resolve("hard")));
    }

    private static TrainConfig withSync(TrainConfig c, ReferenceSync sync) {
        return new TrainConfig(c.seed(), c.rng(), c.steps(), c.batchSize(), c.evalEvery(), c.checkpointEvery(),
                c.gradClip(), c.environment(), c.policy(), sync, c.loss(), c.beta(), c.optimizer());
    }

    private static double klAtEnd(RunDirectory.Summary summary) {
        return (double) summary.last().get("eval/kl_ref");
    }

    @Test
    void aDirectoryHoldingARunIsNotOverwritten(@TempDir Path dir) {
        new Trainer(REGISTRY).train(config(2, FIXED, 0.0), dir);
        assertThatThrownBy(() -> new Trainer(REGISTRY).train(config(2, FIXED, 0.0), dir))
                .hasMessageContaining("already holds a run");
    }

    /** β = 1 for three steps, then NaN. */
    static final class PoisonedBetaExtension extends AbstractModule implements Extension {
        @Override
        protected void configure() {
            Extensions.betaEstimators(binder()).addBinding("poisoned").toInstance(BetaEstimator.Provider.of(
                    "NaN from the fourth training step", List.of(), (settings, context) -> new BetaEstimator() {
                        private int calls;

                        @Override
                        public Tensor beta(PreferenceBatch batch) {
                            return batch.policyChosen().detach().zerosLike().add(1.0);
                        }

                        @Override
                        public Estimate train(PreferenceBatch batch) {
                            Tensor one = beta(batch);
                            return new Estimate(++calls >= 4 ? one.mul(Double.NaN) : one, null, null);
                        }
                    }));
        }
    }

    static List<JsonNode> rows(Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(RunDirectory.METRICS_JSONL))) {
            rows.add(json.readTree(line));
        }
        return rows;
    }
}
