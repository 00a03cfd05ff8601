package betalab.training;

import betalab.api.policy.Policy;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.registry.Extension;
import betalab.api.registry.Knob;
import betalab.api.task.Task;
import betalab.api.tensor.Tensor;
import com.google.inject.AbstractModule;
import java.util.List;

/**
 * A test plugin: the bigram policy, the tiny language task, and a DPO loss written on per-token
 * log-probs that checks, on every batch, that the batch carries them consistently with its sums.
 */
final class TinyLmExtension extends AbstractModule implements Extension {
    /** A knob nobody types in the tests: config.json must still record it. */
    static final Knob<Double> INIT_SCALE = Knob.real("init_scale", 0.25, "W starts N(0, init_scale²)").atLeast(0);
    static final Knob<Integer> GOOD = Knob.integer("good", 1, "the rewarded token").between(0, 4, true);
    static final Knob<Integer> PAIRS = Knob.integer("pairs", 24, "training pairs").positive();

    /** Token rows the loss has checked, and the widest completion it saw (tests read them). */
    static int checkedRows;
    static int widest;

    @Override
    protected void configure() {
        Policy.POINT.bind(binder(), "bigram", "a bigram language model: a learnable table of next-token logits",
                List.of(INIT_SCALE), (settings, context) -> new BigramPolicy(context, settings.get(INIT_SCALE)));
        Task.POINT.bind(binder(), "tiny_lm", "token prompts, completions of 1 to 3 tokens, reward = good tokens",
                List.of(GOOD, PAIRS), (settings, context) -> new TinyLmTask(settings.get(GOOD), settings.get(PAIRS)));
        PreferenceLoss.POINT.bind(binder(), "token_sigmoid", "DPO on the per-token log-probs",
                List.of(), (settings, none) -> TinyLmExtension::tokenSigmoid);
    }

    /** −log σ(β(c − r)) with log πθ(y) summed from the batch's per-token log-probs. */
    static Tensor tokenSigmoid(PreferenceBatch batch, Tensor beta) {
        Tensor chosen = checkedSum(batch.chosenTokens(), batch.policyChosen(), batch.chosenLength());
        Tensor rejected = checkedSum(batch.rejectedTokens(), batch.policyRejected(), batch.rejectedLength());
        Tensor h = chosen.sub(batch.refChosen()).sub(rejected.sub(batch.refRejected()));
        return h.mul(beta).logSigmoid().neg();
    }

    private static Tensor checkedSum(Tensor tokens, Tensor sums, Tensor lengths) {
        if (tokens == null) {
            throw new IllegalStateException("the batch carries no per-token log-probs");
        }
        double[] t = tokens.toDoubleArray();
        double[] s = sums.toDoubleArray();
        double[] len = lengths.toDoubleArray();
        int width = tokens.dim(1);
        for (int i = 0; i < s.length; i++) {
            double sum = 0;
            for (int k = 0; k < width; k++) {
                if (k >= len[i] && t[i * width + k] != 0) {
                    throw new IllegalStateException("pair " + i + " has a log-prob past its length " + len[i]);
                }
                if (k < len[i] && !(t[i * width + k] < 0)) {
                    throw new IllegalStateException("pair " + i + " token " + k + " has log-prob " + t[i * width + k]);
                }
                sum += t[i * width + k];
            }
            if (Math.abs(sum - s[i]) > 1e-5) {
                throw new IllegalStateException("pair " + i + ": tokens sum to " + sum + ", the batch says " + s[i]);
            }
        }
        checkedRows += s.length;
        widest = Math.max(widest, width);
        return tokens.sum(1);
    }
}
