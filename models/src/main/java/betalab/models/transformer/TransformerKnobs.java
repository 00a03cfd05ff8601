package betalab.models.transformer;

import betalab.api.policy.Policy;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.models.hf.HfTokenizer;
import betalab.models.hf.LlamaCheckpoint;
import betalab.models.hf.LlamaConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * The "transformer" policy's settings, named as transformers' LlamaConfig names them: a new model of
 * these sizes with transformers' initial weights, or, with {@code from}, a Hugging Face model
 * directory whose config and weights are used as they are.
 */
public final class TransformerKnobs {
    static final Knob<String> FROM = Knob.text("from", "",
            "a Hugging Face Llama model directory (config.json, model.safetensors) to start from; empty for a new model");
    static final Knob<Integer> HIDDEN_SIZE = Knob.integer("hidden_size", 128, "width of the residual stream").positive();
    static final Knob<Integer> INTERMEDIATE_SIZE = Knob.integer("intermediate_size", 344,
            "width of the SwiGLU MLP").positive();
    static final Knob<Integer> LAYERS = Knob.integer("num_hidden_layers", 4, "decoder layers").positive();
    static final Knob<Integer> HEADS = Knob.integer("num_attention_heads", 4, "query heads").positive();
    static final Knob<Integer> KV_HEADS = Knob.integer("num_key_value_heads", 4,
            "key/value heads, dividing the query heads (grouped-query attention)").positive();
    static final Knob<Integer> POSITIONS = Knob.integer("max_position_embeddings", 256,
            "the longest prompt + completion").positive();
    static final Knob<Double> RMS_EPS = Knob.real("rms_norm_eps", 1e-6, "ε of RMSNorm").positive();
    static final Knob<Double> ROPE_THETA = Knob.real("rope_theta", 10000.0, "base θ of the rotary frequencies")
            .positive();
    static final Knob<Boolean> TIE = Knob.flag("tie_word_embeddings", false,
            "the output projection is the embedding matrix");
    static final Knob<Double> INIT_RANGE = Knob.real("initializer_range", 0.02,
            "standard deviation of the initial linear and embedding weights").positive();
    static final Knob<Integer> EOS = Knob.integer("eos_token_id", -1, "the token that ends a sampled completion; "
            + "-1 for none").atLeast(-1);

    static final Knob<Double> TEMPERATURE = Knob.real("temperature", 1.0, "sampling: logits are divided by it")
            .positive();
    static final Knob<Integer> TOP_K = Knob.integer("top_k", 0, "sampling: only the k likeliest tokens; 0 for all")
            .atLeast(0);
    static final Knob<Double> TOP_P = Knob.real("top_p", 1.0,
            "sampling: only the smallest set of likeliest tokens whose probability reaches p").between(0, 1, true)
            .positive();

    public static final List<Knob<?>> KNOBS = List.of(FROM, HIDDEN_SIZE, INTERMEDIATE_SIZE, LAYERS, HEADS, KV_HEADS,
            POSITIONS, RMS_EPS, ROPE_THETA, TIE, INIT_RANGE, EOS, TEMPERATURE, TOP_K, TOP_P);

    private TransformerKnobs() {
    }

    /** The policy these settings describe, for the task's vocabulary. */
    public static Policy create(Settings settings, Policy.Context context) {
        String from = settings.get(FROM);
        if (!from.isEmpty()) {
            Path directory = Path.of(from);
            LlamaCheckpoint checkpoint = LlamaCheckpoint.read(directory, context.dtype());
            // A vocabulary of 0 takes the model's (betalab logps has no task to ask).
            if (context.vocabularySize() != 0 && checkpoint.config().vocabSize() != context.vocabularySize()) {
                throw new IllegalArgumentException("the model in " + from + " has vocab_size "
                        + checkpoint.config().vocabSize() + ", the task's vocabulary has " + context.vocabularySize());
            }
            Policy.Tokenizer tokenizer = null;
            if (java.nio.file.Files.exists(directory.resolve(HfTokenizer.FILE_NAME))) {
                HfTokenizer hf = HfTokenizer.load(directory);
                if (hf.size() > checkpoint.config().vocabSize()) {
                    throw new IllegalArgumentException(hf.file() + ": gives ids up to " + (hf.size() - 1) + ", but the "
                            + "model's config.json has vocab_size " + checkpoint.config().vocabSize()
                            + ": the tokenizer is not this model's");
                }
                tokenizer = new Policy.Tokenizer() {
                    @Override
                    public int[] encode(String text) {
                        return hf.encode(text, false);
                    }

                    @Override
                    public String decode(int[] ids) {
                        return hf.decode(ids);
                    }

                    @Override
                    public int endOfSequence() {
                        List<Integer> eos = checkpoint.config().eosTokenIds();
                        return eos == null || eos.isEmpty() ? -1 : eos.get(0);
                    }
                };
            }
            return new TransformerPolicy(new LlamaModel(checkpoint), tokenizer, sampling(settings));
        }
        if (context.vocabularySize() == 0) {
            throw new IllegalArgumentException("the task takes the policy's own vocabulary, which a new transformer "
                    + "does not have: set 'from' to a model directory (betalab sft writes one)");
        }
        int eos = settings.get(EOS);
        if (eos >= context.vocabularySize()) {
            throw new IllegalArgumentException("eos_token_id " + eos + " is outside the task's vocabulary of "
                    + context.vocabularySize());
        }
        LlamaConfig config = new LlamaConfig(context.vocabularySize(), settings.get(HIDDEN_SIZE),
                settings.get(INTERMEDIATE_SIZE), settings.get(LAYERS), settings.get(HEADS), settings.get(KV_HEADS),
                settings.get(POSITIONS), settings.get(RMS_EPS), settings.get(ROPE_THETA), settings.get(TIE),
                settings.get(INIT_RANGE), null, eos < 0 ? List.of() : List.of(eos), null, "float32");
        return new TransformerPolicy(new LlamaModel(config, context.rng(), context.dtype()), null, sampling(settings));
    }

    private static TransformerPolicy.Sampling sampling(Settings settings) {
        return new TransformerPolicy.Sampling(settings.get(TEMPERATURE), settings.get(TOP_K), settings.get(TOP_P));
    }
}
