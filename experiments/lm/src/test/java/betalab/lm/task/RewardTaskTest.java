package betalab.lm.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.policy.Policy;
import betalab.api.random.TorchRng;
import betalab.api.task.PreferencePairs;
import betalab.api.task.Task;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import betalab.lm.Corpus;
import betalab.lm.reward.Reward;
import betalab.models.hf.LlamaCheckpoint;
import betalab.models.transformer.LlamaModel;
import betalab.models.transformer.TransformerPolicy;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RewardTaskTest {
    @TempDir
    static Path dir;
    static Path corpus;
    static Path model;

    @BeforeAll
    static void fixtures() {
        corpus = LmFixture.corpus(dir, 60);
        model = LmFixture.model(dir, corpus, 64, 1);
    }

    static Map<String, Object> knobs(Object... pairs) {
        Map<String, Object> k = new HashMap<>(Map.of("corpus", corpus.toString(), "validation_every", 2,
                "prompt_words", 4, "prompts", 160, "eval_prompts", 8, "max_tokens", 6, "reward", "length",
                "target_words", 3));
        for (int i = 0; i < pairs.length; i += 2) {
            k.put((String) pairs[i], pairs[i + 1]);
        }
        return k;
    }

    static RewardTask task(Map<String, Object> knobs) {
        return (RewardTask) LmFixture.REGISTRY.create(Task.POINT, "lm_reward", knobs,
                new Task.Context(new TorchRng(0), DType.FLOAT32));
    }

    static Task.Prepared prepare(RewardTask task, long seed) {
        try (var noGrad = Tensor.noGrad()) {
            return task.prepare(LmFixture.policy(model), new TorchRng(seed));
        }
    }

    @Test
    void promptsAreSentenceStartsOfTheHeldOutDocumentsSpreadOverThem() throws Exception {
        assertThat(SentenceStarts.spread(10, 3)).containsExactly(1, 5, 8);
        assertThat(SentenceStarts.of(List.of("One two three. Four five six seven! Eight nine? Ten eleven twelve"), 2))
                .containsExactly("One two", "Four five", "Ten eleven");

        RewardTask task = task(knobs());
        List<String> heldOut = SentenceStarts.of(Corpus.read(corpus, 2).validation(), 4);
        assertThat(heldOut).hasSize(30 * 6);
        assertThat(task.evalPrompts()).hasSize(8).allSatisfy(p -> assertThat(p.split(" ")).hasSize(4));
        assertThat(task.trainPrompts()).hasSize(160);
        assertThat(heldOut).containsAll(task.trainPrompts()).containsAll(task.evalPrompts());
        assertThat(task.evalPrompts().get(0)).isEqualTo(heldOut.get(11));

        // Documents told apart by their first word: only the held-out (odd) ones give prompts.
        Path numbered = dir.resolve("numbered.txt");
        StringBuilder text = new StringBuilder();
        for (int d = 0; d < 8; d++) {
            text.append("D").append(d).append(" one two three four. D").append(d).append(" five six seven eight!\n");
        }
        LmFixture.write(numbered, text.toString());
        RewardTask small = task(knobs("corpus", numbered.toString(), "prompts", 5, "eval_prompts", 3));
        // Sentence starts D1a D1b D3a D3b D5a D5b D7a D7b: evaluation takes ⌊(i + ½)·8/3⌋ = 1, 4, 6.
        assertThat(small.evalPrompts()).containsExactly("D1 five six seven", "D5 one two three", "D7 one two three");
        assertThat(small.trainPrompts()).containsExactly("D1 one two three", "D3 one two three",
                "D3 five six seven", "D5 five six seven", "D7 five six seven");
    }

    @Test
    void withoutNoiseAndAtALowTemperatureEveryChosenCompletionHasTheHigherReward() {
        Task.Prepared prepared = prepare(task(knobs("temperature", 1e-3)), 5);
        PreferencePairs pairs = prepared.train();
        Policy policy = LmFixture.policy(model);
        Reward length = Reward.named("length", 3);
        int decided = 0;
        for (int i = 0; i < pairs.size(); i++) {
            double margin = length.score(LanguageModels.text(policy.tokenizer(), pairs.chosen()[i]))
                    - length.score(LanguageModels.text(policy.tokenizer(), pairs.rejected()[i]));
            assertThat(margin).isGreaterThanOrEqualTo(0);
            decided += margin > 0 ? 1 : 0;
            assertThat(pairs.flipped()[i]).isFalse();
        }
        assertThat(decided).isGreaterThan(50);
    }

    /**
     * At temperature 1 with ε = 0.25: flips are about a quarter of the pairs, and an unflipped
     * chosen completion has the higher reward with the Bradley–Terry probability σ(|Δ|), a flipped
     * one with 1 − σ(|Δ|) — counted over the pairs and held within four standard deviations.
     */
    @Test
    void labelsFollowBradleyTerryAndFlipsFollowTheNoise() {
        Task.Prepared prepared = prepare(task(knobs("label_noise", 0.25)), 6);
        PreferencePairs pairs = prepared.train();
        Policy policy = LmFixture.policy(model);
        Reward length = Reward.named("length", 3);
        int flips = 0;
        double agreeing = 0;
        double expected = 0;
        double variance = 0;
        for (int i = 0; i < pairs.size(); i++) {
            double margin = length.score(LanguageModels.text(policy.tokenizer(), pairs.chosen()[i]))
                    - length.score(LanguageModels.text(policy.tokenizer(), pairs.rejected()[i]));
            boolean flipped = pairs.flipped()[i];
            flips += flipped ? 1 : 0;
            if (margin != 0) {
                double p = 1 / (1 + Math.exp(-Math.abs(margin)));
                double agree = flipped ? 1 - p : p;
                agreeing += (margin > 0) != flipped ? 1 : 0;
                expected += agree;
                variance += agree * (1 - agree);
            }
        }
        assertThat(flips).isBetween(40 - 4 * 6, 40 + 4 * 6);
        assertThat(variance).isGreaterThan(5);
        assertThat(Math.abs(agreeing - expected)).isLessThan(4 * Math.sqrt(variance));
    }

    @Test
    void theSameSeedGivesTheSamePairsAndAnotherSeedOthers() {
        RewardTask task = task(knobs("label_noise", 0.2));
        PreferencePairs a = prepare(task, 9).train();
        PreferencePairs b = prepare(task(knobs("label_noise", 0.2)), 9).train();
        PreferencePairs c = prepare(task, 10).train();
        assertThat(b.chosen()).isDeepEqualTo(a.chosen());
        assertThat(b.rejected()).isDeepEqualTo(a.rejected());
        assertThat(b.flipped()).isEqualTo(a.flipped());
        assertThat(c.chosen()).isNotEqualTo(a.chosen());
        Policy.Tokenizer tokenizer = LmFixture.policy(model).tokenizer();
        assertThat(tokenizer.decode(a.prompts()[3])).isEqualTo(task.trainPrompts().get(3));
    }

    @Test
    void badSettingsAreOneLineNamingTheKnob() {
        assertThatThrownBy(() -> task(knobs("reward", "toxicity")))
                .hasMessageContaining("knob 'reward'").hasMessageContaining("sentiment, length")
                .hasMessageNotContaining("\n");
        Map<String, Object> noCorpus = knobs();
        noCorpus.remove("corpus");
        assertThatThrownBy(() -> task(noCorpus)).hasMessageStartingWith("knob 'corpus' is missing");
        assertThatThrownBy(() -> task(knobs("prompts", 200)))
                .hasMessage(corpus + ": its 30 held-out documents have 180 sentences of more than 4 words, but knobs "
                        + "'prompts' and 'eval_prompts' ask for 208 prompts; ask for fewer, or hold out more documents "
                        + "(validation_every)");
    }

    @Test
    void aPromptThatLeavesNoRoomForTheCompletionIsOneLineNamingTheKnobs() {
        RewardTask task = task(knobs("max_tokens", 64));
        assertThatThrownBy(() -> prepare(task, 1))
                .hasMessageMatching("task 'lm_reward': the prompt \"[^\"]+\" is \\d+ tokens, and with max_tokens 64 it "
                        + "would exceed the model's max_position_embeddings 64; lower knob 'prompt_words' or 'max_tokens'");
    }

    @Test
    void aPolicyWithoutATokenizerIsRefusedInOneLine() {
        TransformerPolicy tokenless = new TransformerPolicy(new LlamaModel(LlamaCheckpoint.read(model, DType.FLOAT32)));
        assertThatThrownBy(() -> task(knobs()).prepare(tokenless, new TorchRng(0)))
                .hasMessageStartingWith("task 'lm_reward' needs a language model with a tokenizer: policy: "
                        + "{name: transformer, from: DIR}");
    }
}
