package betalab.lm.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.policy.Policy;
import betalab.api.random.TorchRng;
import betalab.api.task.PreferencePairs;
import betalab.api.task.Task;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataTaskTest {
    @TempDir
    static Path dir;
    static Policy policy;
    static Policy reference;
    static Path file;

    @BeforeAll
    static void fixtures() {
        Path corpus = LmFixture.corpus(dir, 20);
        policy = LmFixture.policy(LmFixture.model(dir, corpus, 64, 1));
        reference = LmFixture.policy(LmFixture.model(dir, corpus, 64, 2));
        file = dir.resolve("pairs.jsonl");
        // Prompts in order of first appearance: A, B, C, D; every 2nd (B, D) is held out with all its pairs.
        LmFixture.write(file, String.join("\n",
                line("A", "good hope", "bad debts", -3.5, -4.25),
                line("A", "great hope", "cruel war", -1, -2),
                line("B", "a fair promise", "a bitter crisis", -5, -6),
                line("C", "strong jobs", "failed jobs", -7, -8),
                line("B", "thanks", "fears", -9, -10),
                line("D", "best", "worst", -11, -12)) + "\n");
    }

    static String line(String prompt, String chosen, String rejected, double refChosen, double refRejected) {
        return "{\"prompt\": \"The " + prompt + " plan is\", \"chosen\": \" " + chosen + "\", \"rejected\": \" "
                + rejected + "\", \"ref_chosen_logps\": " + refChosen + ", \"ref_rejected_logps\": " + refRejected + "}";
    }

    static Task task(Object... knobs) {
        Map<String, Object> k = new HashMap<>(Map.of("path", file.toString(), "validation_every", 2));
        for (int i = 0; i < knobs.length; i += 2) {
            k.put((String) knobs[i], knobs[i + 1]);
        }
        return LmFixture.REGISTRY.create(Task.POINT, "trl_data", k, new Task.Context(new TorchRng(0), DType.FLOAT32));
    }

    static Task.Prepared prepare(Task task, Policy model) {
        try (var noGrad = Tensor.noGrad()) {
            return task.prepare(model, new TorchRng(0));
        }
    }

    @Test
    void pairsAreTokenizedAsTrlDoesWithTheEndOfSequenceTokenAppended() {
        PreferencePairs train = prepare(task(), policy).train();
        Policy.Tokenizer tokenizer = policy.tokenizer();
        assertThat(train.size()).isEqualTo(3);
        assertThat(train.prompts()[2]).containsExactly(tokenizer.encode("The C plan is"));
        assertThat(train.chosen()[0]).containsExactly(tokenizer.completion(" good hope"));
        assertThat(train.rejected()[1]).endsWith(tokenizer.endOfSequence());
        assertThat(tokenizer.decode(java.util.Arrays.copyOf(train.rejected()[1], train.rejected()[1].length - 1)))
                .isEqualTo(" cruel war");
        assertThat(train.flipped()).containsExactly(false, false, false);
        assertThat(train.hasReferenceLogps()).isFalse();

        PreferencePairs withReference = prepare(task("reference_logps", true), policy).train();
        assertThat(withReference.referenceChosen()).containsExactly(-3.5, -1, -7);
        assertThat(withReference.referenceRejected()).containsExactly(-4.25, -2, -8);
    }

    /** The held-out pairs (lines 3, 5, 6) scored one at a time, and the metrics from their definitions. */
    @Test
    void theEvaluationIsTheImplicitRewardOfTheHeldOutPairs() {
        Task.Evaluator evaluator = prepare(task(), policy).evaluator();
        Map<String, Double> m = evaluator.evaluate(policy, reference);
        Policy.Tokenizer tokenizer = policy.tokenizer();
        String[][] held = {{"The B plan is", " a fair promise", " a bitter crisis"}, {"The B plan is", " thanks", " fears"},
            {"The D plan is", " best", " worst"}};
        double accurate = 0;
        double c = 0;
        double r = 0;
        double logpsChosen = 0;
        for (String[] pair : held) {
            int[] prompt = tokenizer.encode(pair[0]);
            int[] chosen = tokenizer.completion(pair[1]);
            int[] rejected = tokenizer.completion(pair[2]);
            double ci = logp(policy, prompt, chosen) - logp(reference, prompt, chosen);
            double ri = logp(policy, prompt, rejected) - logp(reference, prompt, rejected);
            accurate += ci > ri ? 1 : 0;
            c += ci / 3;
            r += ri / 3;
            logpsChosen += logp(policy, prompt, chosen) / 3;
        }
        assertThat(evaluator.headline()).isEqualTo("eval/rewards/accuracies");
        assertThat(m.get("eval/rewards/accuracies")).isEqualTo(accurate / 3);
        assertThat(m.get("eval/logratio/chosen")).isCloseTo(c, within(1e-4));
        assertThat(m.get("eval/logratio/rejected")).isCloseTo(r, within(1e-4));
        assertThat(m.get("eval/logratio/margins")).isCloseTo(c - r, within(1e-4));
        assertThat(m.get("eval/logps/chosen")).isCloseTo(logpsChosen, within(1e-4));
        assertThat(m).containsKey("eval/logps/rejected");
        assertThat(Math.abs(c - r)).isGreaterThan(1e-3);

        // With the file's reference log-probabilities, the reference is not scored.
        Map<String, Double> precomputed = prepare(task("reference_logps", true), policy).evaluator()
                .evaluate(policy, reference);
        double chosenHeld = logp(policy, tokenizer.encode("The B plan is"), tokenizer.completion(
                " a fair promise")) + logp(policy, tokenizer.encode("The B plan is"), tokenizer.completion(" thanks")) + logp(policy, tokenizer.encode("The D plan is"), tokenizer.completion(" best"));
        assertThat(precomputed.get("eval/logratio/chosen")).isCloseTo((chosenHeld - (-5 - 9 - 11)) / 3, within(1e-4));
    }

    @Test
    void badFilesAreOneLineNamingTheFileLineAndField() {
        Path missing = dir.resolve("missing.jsonl");
        LmFixture.write(missing, "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n"
                + "{\"prompt\": \"p\", \"chosen\": \"a\"}\n");
        assertThatThrownBy(() -> task("path", missing.toString()))
                .hasMessage(missing + ", line 2: field 'rejected' is missing (format trl)");

        Path noReference = dir.resolve("no-reference.jsonl");
        LmFixture.write(noReference, "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n"
                + "{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\"}\n");
        assertThatThrownBy(() -> task("path", noReference.toString(), "reference_logps", true))
                .hasMessageMatching(java.util.regex.Pattern.quote(noReference + ", line 1: field 'ref_")
                        + "(chosen|rejected)_logps' is missing");

        Path tooLong = dir.resolve("too-long.jsonl");
        LmFixture.write(tooLong, "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n"
                + "{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"" + "zq ".repeat(40) + "\"}\n");
        Task longTask = task("path", tooLong.toString());
        assertThatThrownBy(() -> prepare(longTask, policy))
                .hasMessageMatching(java.util.regex.Pattern.quote(tooLong + ", line 2: prompt and rejected are ")
                        + "\\d+ tokens, longer than the model's max_position_embeddings 64");

        assertThatThrownBy(() -> task("path", dir.resolve("absent.jsonl").toString()))
                .hasMessage(dir.resolve("absent.jsonl") + ": no such file");
        Path onePrompt = dir.resolve("one-prompt.jsonl");
        LmFixture.write(onePrompt, "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n");
        assertThatThrownBy(() -> task("path", onePrompt.toString()))
                .hasMessage(onePrompt + ": has 1 distinct prompt(s); holding out every 2th (validation_every) needs "
                        + "at least 2");
    }

    private static double logp(Policy p, int[] prompt, int[] completion) {
        try (var noGrad = Tensor.noGrad()) {
            return p.score(Policy.Sequences.aligned(new int[][] {prompt}, new int[][] {completion})).sums()
                    .toDoubleArray()[0];
        }
    }
}
