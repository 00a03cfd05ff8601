package betalab.models.transformer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.random.TorchRng;
import betalab.api.tensor.DType;
import betalab.models.hf.LlamaCheckpoint;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Generation: the key/value cache against the whole forward pass, and the sampling rules by hand. */
class GenerationTest {

    private static LlamaModel tiny(DType dtype) throws Exception {
        Path dir = Path.of(GenerationTest.class.getResource("/hf/tiny-llama/config.json").toURI()).getParent();
        return new LlamaModel(LlamaCheckpoint.read(dir, dtype));
    }

    @Test
    void cachedPositionsGiveTheLogitsOfTheWholeSequence() throws Exception {
        LlamaModel model = tiny(DType.FLOAT64);
        int[] sequence = {5, 17, 33, 2, 90, 41, 7, 64};
        double[] whole = model.forward(new int[][] {sequence}).logits().toDoubleArray();
        int v = model.config().vocabSize();
        LlamaModel.Cache cache = new LlamaModel.Cache();
        double[] prefill = model.forward(java.util.Arrays.copyOf(sequence, 5), cache).logits().toDoubleArray();
        assertThat(prefill).containsExactly(java.util.Arrays.copyOf(whole, 5 * v), within(1e-12));
        for (int p = 5; p < sequence.length; p++) {
            double[] step = model.forward(new int[] {sequence[p]}, cache).logits().toDoubleArray();
            assertThat(step).as("position %d", p)
                    .containsExactly(java.util.Arrays.copyOfRange(whole, p * v, (p + 1) * v), within(1e-12));
        }
        assertThat(cache.length()).isEqualTo(sequence.length);
    }

    @Test
    void generationWithTheCacheEqualsGenerationWithout() throws Exception {
        for (TransformerPolicy.Sampling s : List.of(TransformerPolicy.Sampling.PLAIN,
                new TransformerPolicy.Sampling(0.7, 10, 0.9))) {
            TransformerPolicy policy = new TransformerPolicy(tiny(DType.FLOAT32), null, s);
            int[] prompt = {26, 19, 54};
            int[] cached = policy.generate(prompt, 12, new TorchRng(5), true);
            int[] rerun = policy.generate(prompt, 12, new TorchRng(5), false);
            // The tiny model's eos (2) may end it early; both must agree token for token.
            assertThat(cached).as(s.toString()).containsExactly(rerun);
            assertThat(cached.length).isPositive();
            assertThat(policy.sample(new int[][] {prompt}, 12, new TorchRng(5))[0]).containsExactly(cached);
        }
    }

    @Test
    void samplingFollowsTemperatureTopKAndTopPByHand() throws Exception {
        LlamaModel model = tiny(DType.FLOAT64);
        // Probabilities 1/6, 2/6, 3/6 for tokens 0, 1, 2: in descending order 2, 1, 0.
        double[] logits = {0, Math.log(2), Math.log(3)};
        TransformerPolicy plain = new TransformerPolicy(model, null, TransformerPolicy.Sampling.PLAIN);
        assertThat(plain.draw(logits, 0.49)).isEqualTo(2);
        assertThat(plain.draw(logits, 0.6)).isEqualTo(1);
        assertThat(plain.draw(logits, 0.9)).isEqualTo(0);
        TransformerPolicy greedy = new TransformerPolicy(model, null, new TransformerPolicy.Sampling(1.0, 1, 1.0));
        assertThat(greedy.draw(logits, 0.99)).isEqualTo(2);
        // top_p 0.6: 1/2 < 0.6 ≤ 1/2 + 1/3, so tokens 2 and 1 remain, renormalised to 0.6 and 0.4.
        TransformerPolicy nucleus = new TransformerPolicy(model, null, new TransformerPolicy.Sampling(1.0, 0, 0.6));
        assertThat(nucleus.draw(logits, 0.59)).isEqualTo(2);
        assertThat(nucleus.draw(logits, 0.61)).isEqualTo(1);
        assertThat(nucleus.draw(logits, 0.99)).isEqualTo(1);
        // Temperature 0.5 squares the probabilities: 9/14, 4/14, 1/14.
        TransformerPolicy cold = new TransformerPolicy(model, null, new TransformerPolicy.Sampling(0.5, 0, 1.0));
        assertThat(cold.draw(logits, 0.64)).isEqualTo(2);
        assertThat(cold.draw(logits, 0.65)).isEqualTo(1);
        assertThat(cold.draw(logits, 0.93)).isEqualTo(0);
    }

    /**
     * A prompt's log-probability, as ppl_scaled's perplexity reads it, equals its tokens after the
     * first scored as a completion of the first one; a one-token prompt has nothing predicted.
     */
    @Test
    void promptLogProbabilitiesEqualThePromptScoredAsACompletion() throws Exception {
        TransformerPolicy policy = new TransformerPolicy(tiny(DType.FLOAT64));
        int[][] prompts = {{5, 17, 33, 2}, {90}, {41, 7}};
        betalab.api.policy.Policy.Scores s = policy.score(new betalab.api.policy.Policy.Sequences(prompts,
                new int[][] {{64, 3}, {8}, {12, 13, 14}, {1}}, new int[] {0, 1, 2, 0}));
        betalab.api.policy.Policy.Scores asCompletions = policy.score(betalab.api.policy.Policy.Sequences.aligned(
                new int[][] {{5}, {41}}, new int[][] {{17, 33, 2}, {7}}));
        double[] logps = s.promptLogps().toDoubleArray();
        assertThat(logps[0]).isCloseTo(asCompletions.sums().toDoubleArray()[0], within(1e-12));
        assertThat(logps[1]).isZero();
        assertThat(logps[2]).isCloseTo(asCompletions.sums().toDoubleArray()[1], within(1e-12));
        assertThat(s.promptLengths().toDoubleArray()).containsExactly(3, 1, 1);

        // The mean logit at completion 0's first position is the mean of the model's logits that predict it.
        LlamaModel model = tiny(DType.FLOAT64);
        double[] logits = model.forward(new int[][] {{5, 17, 33, 2, 64, 3}}).logits().toDoubleArray();
        int vocabulary = model.config().vocabSize();
        double mean = 0;
        for (int v = 0; v < vocabulary; v++) {
            mean += logits[3 * vocabulary + v] / vocabulary;
        }
        assertThat(s.logitMeans().shape()).containsExactly(4, 3);
        assertThat(s.logitMeans().toDoubleArray()[0]).isCloseTo(mean, within(1e-12));
    }
}
