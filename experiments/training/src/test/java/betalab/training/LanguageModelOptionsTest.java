package betalab.training;

import static betalab.training.Runs.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.PreferenceBatch;
import betalab.api.registry.Registry;
import betalab.api.task.PreferencePairs;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What preference training does for sequence policies: a frozen reference scored once, LD-DPO's
 * token weights, and the token metrics of a language model.
 */
class LanguageModelOptionsTest {
    private static final Registry REGISTRY = Runs.with(new TinyLmExtension());

    private static PreferenceTraining training(Map<String, Object> changes) {
        Map<String, Object> c = SequencePolicyTest.config(Map.of("name", "fixed", "beta", 1.0), 3);
        c.putAll(changes);
        return new PreferenceTraining(Runs.resolve(c, REGISTRY), REGISTRY);
    }

    private static int[] all(PreferencePairs pairs) {
        int[] all = new int[pairs.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        return all;
    }

    @Test
    void aFrozenReferenceIsScoredOnceBeforeTrainingAndAMovingOneInEveryStep() {
        PreferenceTraining frozen = training(Map.of());
        PreferenceTraining moving = training(Map.of("reference_sync", Map.of("mode", "soft", "every", 2, "alpha", 0.5)));
        assertThat(frozen.pairs().hasReferenceLogps()).isTrue();
        assertThat(moving.pairs().hasReferenceLogps()).isFalse();

        PreferenceBatch cached = frozen.batch(frozen.pairs().select(all(frozen.pairs())));
        PreferenceBatch scored = moving.batch(moving.pairs().select(all(moving.pairs())));
        // Multi-token completions of different lengths: the cached sums are the reference's own.
        assertThat(cached.chosenLength().toDoubleArray()).contains(1.0, 2.0, 3.0);
        assertThat(cached.refChosen().toDoubleArray()).containsExactly(scored.refChosen().toDoubleArray(), within(1e-6));
        assertThat(cached.refRejected().toDoubleArray()).containsExactly(scored.refRejected().toDoubleArray(),
                within(1e-6));
        // Before any update the policy is its reference.
        assertThat(cached.policyChosen().toDoubleArray()).containsExactly(cached.refChosen().toDoubleArray(),
                within(1e-6));
    }

    @Test
    void ldAlphaWeighsTheTokensPastTheShorterCompletionInPolicyAndReference() {
        double alpha = 0.25;
        PreferenceTraining plain = training(Map.of());
        PreferenceTraining ld = training(Map.of("ld_alpha", alpha));
        PreferencePairs pairs = plain.pairs();
        PreferenceBatch full = plain.batch(pairs.select(all(pairs)));
        PreferenceBatch weighted = ld.batch(ld.pairs().select(all(pairs)));

        double[] chosenTokens = full.chosenTokens().toDoubleArray();
        double[] rejectedTokens = full.rejectedTokens().toDoubleArray();
        int width = full.chosenTokens().dim(1);
        int rejectedWidth = full.rejectedTokens().dim(1);
        int longerSomewhere = 0;
        for (int i = 0; i < pairs.size(); i++) {
            int shared = Math.min(pairs.chosen()[i].length, pairs.rejected()[i].length);
            double chosen = 0;
            for (int t = 0; t < pairs.chosen()[i].length; t++) {
                chosen += (t < shared ? 1 : alpha) * chosenTokens[i * width + t];
            }
            double rejected = 0;
            for (int t = 0; t < pairs.rejected()[i].length; t++) {
                rejected += (t < shared ? 1 : alpha) * rejectedTokens[i * rejectedWidth + t];
            }
            longerSomewhere += pairs.chosen()[i].length != pairs.rejected()[i].length ? 1 : 0;
            assertThat(weighted.policyChosen().toDoubleArray()[i]).isCloseTo(chosen, within(1e-6));
            assertThat(weighted.policyRejected().toDoubleArray()[i]).isCloseTo(rejected, within(1e-6));
            // The reference, scored once before training, is weighted alike.
            assertThat(weighted.refChosen().toDoubleArray()[i]).isCloseTo(chosen, within(1e-6));
            assertThat(weighted.refRejected().toDoubleArray()[i]).isCloseTo(rejected, within(1e-6));
        }
        assertThat(longerSomewhere).isPositive();
    }

    @Test
    void aLanguageModelsRunReportsEntropyTokenAccuracyAndTokensRead(@TempDir Path dir) {
        Map<String, Object> c = SequencePolicyTest.config(Map.of("name", "fixed", "beta", 1.0), 3);
        c.put("policy", Map.of("name", "transformer", "hidden_size", 16, "intermediate_size", 32,
                "num_hidden_layers", 1, "num_attention_heads", 2, "num_key_value_heads", 1,
                "max_position_embeddings", 16));
        c.put("loss", Map.of("name", "sigmoid"));
        Config config = Runs.resolve(c, REGISTRY);
        PreferenceTraining.train(REGISTRY, config, dir, Integer.MAX_VALUE, r -> { });

        List<JsonNode> rows = rows(dir);
        PreferencePairs pairs = new PreferenceTraining(config, REGISTRY).pairs();
        long everyPairOnce = 0;
        for (int i = 0; i < pairs.size(); i++) {
            everyPairOnce += 2L * pairs.prompts()[i].length + pairs.chosen()[i].length + pairs.rejected()[i].length;
        }
        // 24 pairs in batches of 8: three steps read each pair once.
        assertThat(rows.get(3).get("num_tokens").asLong()).isEqualTo(everyPairOnce);
        assertThat(rows.get(1).get("num_tokens").asLong()).isLessThan(everyPairOnce);
        for (JsonNode row : rows.subList(1, 4)) {
            assertThat(row.get("entropy").asDouble()).isBetween(0.0, Math.log(TinyLmTask.VOCABULARY));
            assertThat(row.get("mean_token_accuracy").asDouble()).isBetween(0.0, 1.0);
            assertThat(row.get("logits/chosen").isNumber()).isTrue();
            assertThat(row.get("logits/rejected").isNumber()).isTrue();
        }
    }

    @Test
    void theLearningRateFollowsTheScheduleStepByStep(@TempDir Path dir) {
        Map<String, Object> c = SequencePolicyTest.config(Map.of("name", "fixed", "beta", 1.0), 4);
        c.put("log_every", 1);
        c.put("schedule", Map.of("warmup_steps", 2, "decay", "linear", "min_lr_ratio", 0.5));
        PreferenceTraining.train(REGISTRY, Runs.resolve(c, REGISTRY), dir, Integer.MAX_VALUE, r -> { });
        // lr 0.1: updates 0 and 1 warm up (0, 0.05), then linear from 0.1 to 0.5·0.1 over the last two.
        List<JsonNode> rows = rows(dir);
        double[] expected = {0, 0.05, 0.1, 0.075};
        for (int step = 1; step <= 4; step++) {
            assertThat(rows.get(step).get("learning_rate").asDouble()).as("step " + step)
                    .isCloseTo(expected[step - 1], within(1e-12));
        }
    }
}
