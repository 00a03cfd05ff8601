package betalab.api.preference;

import betalab.api.preference.BetaEstimator.Context;
import betalab.api.tensor.Tensor;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * The per-prompt input a β head reads from a batch, with its width in the estimator's context, so
 * the heads on raw features and on the policy's representation are one piece of code.
 */
public enum PromptInput {
    /** Prompt features given with the data: no gradient reaches the policy through them. */
    FEATURES("features", "prompt features", PreferenceBatch::features, Context::featureDim),
    /** The policy's own representation of the prompt: gradients through β reach the policy. */
    REPRESENTATION("representation", "the policy's representation of each prompt",
            PreferenceBatch::representation, Context::representationDim);

    private final String label;
    private final String what;
    private final Function<PreferenceBatch, Tensor> reader;
    private final ToIntFunction<Context> width;

    PromptInput(String label, String what, Function<PreferenceBatch, Tensor> reader, ToIntFunction<Context> width) {
        this.label = label;
        this.what = what;
        this.reader = reader;
        this.width = width;
    }

    /** The policy's representation where the run has one (policy training), else the prompt features. */
    public static PromptInput available(Context context) {
        return context.representationDim() > 0 ? REPRESENTATION : FEATURES;
    }

    /** The knob value that names this input. */
    public String label() {
        return label;
    }

    public static PromptInput named(String label) {
        for (PromptInput input : values()) {
            if (input.label.equals(label)) {
                return input;
            }
        }
        throw new IllegalArgumentException("unknown prompt input '" + label + "'; expected features or representation");
    }

    /** This input of the batch; fails naming {@code owner} when the batch does not carry it. */
    public Tensor read(PreferenceBatch batch, String owner) {
        Tensor x = reader.apply(batch);
        if (x == null) {
            throw new IllegalArgumentException(owner + " needs " + what + " (PreferenceBatch." + label
                    + "), the batch has none");
        }
        return x;
    }

    /** The input's width in the context; fails naming {@code owner} when the context has none. */
    public int width(Context context, String owner) {
        int w = width.applyAsInt(context);
        if (w < 1) {
            throw new IllegalArgumentException(owner + " needs " + what + " of width ≥ 1, the context gives "
                    + label + " width " + w);
        }
        return w;
    }
}
