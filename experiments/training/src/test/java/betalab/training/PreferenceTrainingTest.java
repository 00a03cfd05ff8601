package betalab.training;

import static betalab.training.Runs.FIXED;
import static betalab.training.Runs.REGISTRY;
import static betalab.training.Runs.bandit;
import static betalab.training.Runs.json;
import static betalab.training.Runs.resolve;
import static betalab.training.Runs.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The train command end to end on a small bandit: learning, records, resuming, TR-DPO, refusals. */
class PreferenceTrainingTest {

    private static RunDirectory.Summary train(Map<String, Object> config, Path dir, int stopAfter) {
        return PreferenceTraining.train(REGISTRY, resolve(config, REGISTRY), dir, stopAfter, row -> { });
    }

    private static RunDirectory.Summary train(Map<String, Object> config, Path dir) {
        return train(config, dir, Integer.MAX_VALUE);
    }

    @Test
    void dpoOnCleanLabelsRaisesTheTrueRewardAboveTheReferences(@TempDir Path dir) {
        RunDirectory.Summary summary = train(bandit(60, FIXED, 0.0), dir);

        List<JsonNode> rows = rows(dir);
        double start = rows.get(0).get("eval/true_reward").asDouble();
        // At step 0 the policy is the reference.
        assertThat(rows.get(0).get("eval/kl_ref").asDouble()).isZero();
        assertThat(rows.get(0).get("eval/win_rate_vs_ref").asDouble()).isCloseTo(0.5, within(1e-6));
        assertThat(summary.status()).isEqualTo("completed");
        assertThat((double) summary.last().get("eval/true_reward")).isGreaterThan(start + 0.1);
        assertThat((double) summary.last().get("eval/win_rate_vs_ref")).isGreaterThan(0.55);
        assertThat((double) summary.last().get("eval/kl_ref")).isPositive();
        assertThat(rows).hasSize(61);
        assertThat(rows.get(1).fieldNames()).toIterable().contains("loss", "grad_norm", "learning_rate",
                "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "rewards_beta/margins",
                "logps/chosen", "logps/rejected", "beta/mean", "beta/std", "beta/min", "beta/max");
        assertThat(rows.get(1).get("beta/mean").asDouble()).isEqualTo(0.5);
        assertThat(readLines(dir.resolve(RunDirectory.METRICS_CSV))).hasSize(62);
        List<String> pairs = readLines(dir.resolve("pairs.csv"));
        assertThat(pairs.get(0)).isEqualTo("margin,beta,flipped");
        assertThat(pairs).hasSize(1 + 192).allMatch(line -> line.split(",").length == 3);
        JsonNode provenance = json(dir.resolve(RunDirectory.PROVENANCE));
        assertThat(provenance.get("extensions").toString()).contains("LossesExtension", "PoliciesExtension",
                "BanditExtension");
        assertThat(provenance.has("started") && provenance.has("ended") && provenance.has("git_commit")).isTrue();
        JsonNode written = json(dir.resolve(RunDirectory.SUMMARY));
        assertThat(written.get("status").asText()).isEqualTo("completed");
        assertThat(written.get("steps_completed").asInt()).isEqualTo(60);
    }

    /** Every piece of state must survive: policy, reference, β network or statistics, Adam, generator, order. */
    static List<Arguments> interruptions() {
        Map<String, Object> policyMlp = Map.of("name", "policy_mlp", "hidden", List.of(4));
        Map<String, Object> filtered = Map.of("name", "beta_dpo_batch", "filter", true);
        Map<String, Object> epsilon = Map.of("name", "epsilon_dpo", "epsilon", 0.1);
        // 3 steps an epoch: 21 ends epoch 7, 23 is inside epoch 8; checkpoints every 10 besides. With a
        // row every 4 steps (and at each epoch's end), stopping at 23 leaves an interval open, so the
        // checkpoint is step 20's (inside epoch 7) and the row of step 21 is cut and written again.
        return List.of(Arguments.of(policyMlp, 1, 21, 21, 21), Arguments.of(policyMlp, 1, 23, 23, 23),
                Arguments.of(filtered, 1, 21, 21, 21), Arguments.of(filtered, 1, 23, 23, 23),
                Arguments.of(filtered, 4, 23, 20, 21), Arguments.of(epsilon, 1, 23, 23, 23));
    }

    @ParameterizedTest
    @MethodSource("interruptions")
    void resumingAnInterruptedRunWritesTheRowsOfAnUninterruptedOne(Map<String, Object> scheme, int logEvery,
                                                                   int stopAfter, int checkpoint, int lastRow,
                                                                   @TempDir Path dir) {
        Map<String, Object> config = bandit(35, scheme, 0.2);
        config.put("log_every", logEvery);
        RunDirectory.Summary straight = train(config, dir.resolve("straight"));

        Path resumed = dir.resolve("resumed");
        RunDirectory.Summary stopped = train(config, resumed, stopAfter);
        // The run really stopped mid-way, its record saying so, with its checkpoint before the end.
        assertThat(stopped.status()).isEqualTo("interrupted");
        assertThat(json(resumed.resolve(RunDirectory.SUMMARY)).get("status").asText()).isEqualTo("interrupted");
        assertThat(json(resumed.resolve(RunDirectory.CHECKPOINT)).get("step").asInt()).isEqualTo(checkpoint);
        assertThat(rows(resumed)).last().satisfies(row -> assertThat(row.get("step").asInt()).isEqualTo(lastRow));
        assertThat(rows(resumed)).hasSizeLessThan(rows(dir.resolve("straight")).size());
        assertThat(resumed.resolve("pairs.csv")).doesNotExist();

        RunDirectory.Summary finished = PreferenceTraining.resume(REGISTRY, resumed, row -> { });

        assertThat(straight.status()).isEqualTo("completed");
        assertThat(finished.status()).isEqualTo("completed");
        List<JsonNode> expected = rows(dir.resolve("straight"));
        assertThat(rows(resumed)).isEqualTo(expected);
        if (logEvery == 1) {
            assertThat(expected).hasSize(36);
        } else {
            assertThat(expected).extracting(r -> r.get("step").asInt()).contains(20, 21, 24).doesNotContain(22, 23);
        }
        assertThat(expected.get(expected.size() - 1).has("eval/beta_flipped")).isTrue();
        assertThat(json(resumed.resolve(RunDirectory.SUMMARY)))
                .isEqualTo(json(dir.resolve("straight").resolve(RunDirectory.SUMMARY)));
        assertThat(readLines(resumed.resolve("pairs.csv"))).isEqualTo(readLines(dir.resolve("straight/pairs.csv")));
    }

    /**
     * ε-DPO and WPO read the policy's next-token distributions, which the bandit's policies give: the
     * global β moves, and WPO's weights (≤ 1) shrink every logged loss against the same run without them.
     */
    @Test
    void epsilonDpoAndWpoTrainOnTheBanditsDistributions(@TempDir Path dir) {
        Map<String, Object> config = bandit(6, Map.of("name", "epsilon_dpo", "epsilon", 0.1), 0.0);
        train(config, dir.resolve("plain"));
        config.put("use_weighting", true);
        train(config, dir.resolve("wpo"));
        List<JsonNode> plain = rows(dir.resolve("plain")).stream().filter(r -> r.has("loss")).toList();
        List<JsonNode> wpo = rows(dir.resolve("wpo")).stream().filter(r -> r.has("loss")).toList();
        assertThat(wpo.get(0).get("loss").asDouble()).isLessThan(plain.get(0).get("loss").asDouble());
        assertThat(plain.get(plain.size() - 1).get("beta/mean").asDouble()).isNotEqualTo(0.1);
        assertThat(json(dir.resolve("wpo").resolve(RunDirectory.CONFIG)).get("use_weighting").asBoolean()).isTrue();
    }

    /** bco_pair's running shift is the loss's state: a resumed run continues it. */
    @Test
    void aLossWithRunningStatisticsResumesExactly(@TempDir Path dir) {
        Map<String, Object> config = bandit(12, FIXED, 0.2);
        config.put("loss", new java.util.LinkedHashMap<>(Map.of("name", "bco_pair", "running_shift", true)));
        config.put("checkpoint_every", 5);
        train(config, dir.resolve("straight"));
        train(config, dir.resolve("resumed"), 7);
        PreferenceTraining.resume(REGISTRY, dir.resolve("resumed"), row -> { });
        assertThat(json(dir.resolve("resumed").resolve(RunDirectory.CHECKPOINT)).get("state").has("loss")).isTrue();
        assertThat(rows(dir.resolve("resumed"))).isEqualTo(rows(dir.resolve("straight")));
    }

    @Test
    void trDpoSyncKeepsTheReferenceCloseToThePolicy(@TempDir Path dir) {
        Map<String, Object> frozen = bandit(30, FIXED, 0.0);
        Map<String, Object> hard = bandit(30, FIXED, 0.0);
        hard.put("reference_sync", Map.of("mode", "hard", "every", 1));
        Map<String, Object> softFull = bandit(30, FIXED, 0.0);
        softFull.put("reference_sync", Map.of("mode", "soft", "every", 1, "alpha", 1.0));
        double klFrozen = klAtEnd(train(frozen, dir.resolve("frozen")));
        double klHard = klAtEnd(train(hard, dir.resolve("hard")));
        train(softFull, dir.resolve("soft"));

        assertThat(klHard).isLessThan(klFrozen / 5);
        // A soft update with α = 1 is a hard one.
        assertThat(rows(dir.resolve("soft"))).isEqualTo(rows(dir.resolve("hard")));
    }

    @Test
    void aSyncWithoutAnIntervalIsRefusedBeforeAnythingIsWritten(@TempDir Path dir) {
        Map<String, Object> config = bandit(3, FIXED, 0.0);
        config.put("reference_sync", Map.of("mode", "soft"));
        assertThatThrownBy(() -> train(config, dir.resolve("run")))
                .hasMessageContaining("reference_sync.every").hasMessageContaining("must be ≥ 1 when mode is soft");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    private static double klAtEnd(RunDirectory.Summary summary) {
        return (double) summary.last().get("eval/kl_ref");
    }

    @Test
    void aDirectoryHoldingARunIsNotOverwritten(@TempDir Path dir) {
        train(bandit(2, FIXED, 0.0), dir);
        assertThatThrownBy(() -> train(bandit(2, FIXED, 0.0), dir)).hasMessageContaining("already holds a run");
    }

    static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
