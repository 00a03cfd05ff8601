package betalab.lm.task;

import betalab.api.policy.Policy;
import betalab.api.random.Rng;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.task.PreferencePairs;
import betalab.api.task.Task;
import betalab.lm.Corpus;
import betalab.lm.reward.Reward;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The language model steered by a programmatic reward (TRL's "toward positive sentiment"
 * experiment): prompts are sentence starts cut from a corpus's held-out documents (text the SFT
 * model never trained on); for each training prompt the reference (the SFT model) samples two
 * completions with the run's generator, the winner is drawn by Bradley–Terry on the true reward at
 * a temperature, and the label is flipped with probability ε (flipped pairs are remembered).
 * Evaluation samples the policy and the reference on other held-out prompts ({@link SamplingEvaluation}).
 */
final class RewardTask implements Task {
    static final Knob<String> CORPUS = Knob.text("corpus", null,
            "a UTF-8 text file, one document a line (the one betalab sft trained on); prompts are cut from its "
                    + "held-out documents");
    static final Knob<Integer> VALIDATION_EVERY = Knob.integer("validation_every", 10,
            "every k-th document of the corpus is held out, as in betalab sft; only those give prompts").atLeast(2);
    static final Knob<Integer> PROMPT_WORDS = Knob.integer("prompt_words", 8,
            "a prompt is the first this many words of a held-out sentence that has more").positive();
    static final Knob<Integer> PROMPTS = Knob.integer("prompts", 256,
            "training prompts, each giving one pair of two completions sampled from the reference").positive();
    static final Knob<Integer> EVAL_PROMPTS = Knob.integer("eval_prompts", 64,
            "other held-out prompts, each completed once by the policy and once by the reference at every "
                    + "evaluation").atLeast(2);
    static final Knob<Integer> MAX_TOKENS = Knob.integer("max_tokens", 32,
            "longest sampled completion, in tokens (its end-of-sequence token included)").positive();
    static final Knob<String> REWARD = Knob.text("reward", "sentiment",
            "the true reward r*: sentiment (AFINN-165 valence summed over the completion's words) or length "
                    + "(−|words − target_words|)", Reward.NAMES.toArray(String[]::new));
    static final Knob<Integer> TARGET_WORDS = Knob.integer("target_words", 10,
            "the length reward's best number of words").positive();
    static final Knob<Double> TEMPERATURE = Knob.real("temperature", 1.0,
            "T of the Bradley–Terry choice P(y ≻ y') = σ((r*(y) − r*(y'))/T)").positive();
    static final Knob<Double> LABEL_NOISE = Knob.real("label_noise", 0.0,
            "ε, the probability that a training label is flipped").between(0, 1, false);
    static final Knob<Integer> SHOW = Knob.integer("show_samples", 4,
            "held-out prompts (the first ones) whose completions by the policy and the reference each evaluation "
                    + "shows").atLeast(0);
    static final List<Knob<?>> KNOBS = List.of(CORPUS, VALIDATION_EVERY, PROMPT_WORDS, PROMPTS, EVAL_PROMPTS,
            MAX_TOKENS, REWARD, TARGET_WORDS, TEMPERATURE, LABEL_NOISE, SHOW);

    private final String owner;
    private final int maxTokens;
    private final double temperature;
    private final double labelNoise;
    private final int show;
    private final Reward reward;
    private final List<String> trainPrompts = new ArrayList<>();
    private final List<String> evalPrompts = new ArrayList<>();
    private final long evaluationSeed;

    /**
     * Reads the corpus and cuts the prompts (the same for every seed); draws the seed of the
     * evaluations' samples from the context's generator.
     */
    RewardTask(Settings settings, Context context) {
        owner = settings.owner();
        if (settings.get(CORPUS) == null || settings.get(CORPUS).isBlank()) {
            throw new IllegalArgumentException("knob 'corpus' is missing: name the text file (one document a line) "
                    + "whose held-out documents give the prompts");
        }
        maxTokens = settings.get(MAX_TOKENS);
        temperature = settings.get(TEMPERATURE);
        labelNoise = settings.get(LABEL_NOISE);
        show = Math.min(settings.get(SHOW), settings.get(EVAL_PROMPTS));
        reward = Reward.named(settings.get(REWARD), settings.get(TARGET_WORDS));

        Corpus corpus = Corpus.read(Path.of(settings.get(CORPUS)), settings.get(VALIDATION_EVERY));
        List<String> starts = SentenceStarts.of(corpus.validation(), settings.get(PROMPT_WORDS));
        int wanted = settings.get(PROMPTS) + settings.get(EVAL_PROMPTS);
        if (starts.size() < wanted) {
            throw new IllegalArgumentException(corpus.file() + ": its " + corpus.validation().size()
                    + " held-out documents have " + starts.size() + " sentences of more than "
                    + settings.get(PROMPT_WORDS) + " words, but knobs 'prompts' and 'eval_prompts' ask for " + wanted
                    + " prompts; ask for fewer, or hold out more documents (validation_every)");
        }
        // Evaluation prompts spread over the held-out documents, training prompts over what is left.
        boolean[] evaluation = new boolean[starts.size()];
        for (int i : SentenceStarts.spread(starts.size(), settings.get(EVAL_PROMPTS))) {
            evaluation[i] = true;
            evalPrompts.add(starts.get(i));
        }
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < starts.size(); i++) {
            if (!evaluation[i]) {
                rest.add(starts.get(i));
            }
        }
        for (int i : SentenceStarts.spread(rest.size(), settings.get(PROMPTS))) {
            trainPrompts.add(rest.get(i));
        }
        evaluationSeed = Double.doubleToLongBits(context.rng().uniform(1, 0, 1)[0]);
    }

    @Override
    public int vocabularySize() {
        return 0;
    }

    @Override
    public int featureDim() {
        return 0;
    }

    List<String> trainPrompts() {
        return trainPrompts;
    }

    List<String> evalPrompts() {
        return evalPrompts;
    }

    /**
     * Two completions of every training prompt sampled from the reference (all first completions,
     * then all second ones), then for each pair one uniform draw for the Bradley–Terry label and one
     * for the flip.
     */
    @Override
    public Prepared prepare(Policy reference, Rng rng) {
        Policy.Tokenizer tokenizer = LanguageModels.tokenizer(reference, owner);
        int[][] prompts = encode(trainPrompts, tokenizer, reference);
        int[][] evaluation = encode(evalPrompts, tokenizer, reference);
        int[][] first = reference.sample(prompts, maxTokens, rng);
        int[][] second = reference.sample(prompts, maxTokens, rng);
        int n = prompts.length;
        int[][] chosen = new int[n][];
        int[][] rejected = new int[n][];
        boolean[] flipped = new boolean[n];
        double[] u = rng.uniform(2 * n, 0, 1);
        for (int i = 0; i < n; i++) {
            double margin = reward.score(LanguageModels.text(tokenizer, first[i]))
                    - reward.score(LanguageModels.text(tokenizer, second[i]));
            boolean firstWins = u[2 * i] < sigmoid(margin / temperature);
            flipped[i] = u[2 * i + 1] < labelNoise;
            boolean firstLabelled = firstWins != flipped[i];
            chosen[i] = firstLabelled ? first[i] : second[i];
            rejected[i] = firstLabelled ? second[i] : first[i];
        }
        PreferencePairs pairs = new PreferencePairs(prompts, chosen, rejected, flipped, null, 0);
        return new Prepared(pairs, new SamplingEvaluation(evalPrompts, evaluation, tokenizer, reward, maxTokens,
                temperature, evaluationSeed, show));
    }

    /** The prompts' ids; each must leave room for max_tokens within the model's context. */
    private int[][] encode(List<String> texts, Policy.Tokenizer tokenizer, Policy reference) {
        int limit = LanguageModels.maxPositions(reference);
        int[][] ids = new int[texts.size()][];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = tokenizer.encode(texts.get(i));
            if (ids[i].length == 0) {
                throw new IllegalArgumentException(owner + ": the prompt \"" + texts.get(i) + "\" has no tokens");
            }
            if ((long) ids[i].length + maxTokens > limit) {
                throw new IllegalArgumentException(owner + ": the prompt \"" + texts.get(i) + "\" is " + ids[i].length
                        + " tokens, and with max_tokens " + maxTokens + " it would exceed the model's "
                        + "max_position_embeddings " + limit + "; lower knob 'prompt_words' or 'max_tokens'");
            }
        }
        return ids;
    }

    static double sigmoid(double v) {
        return v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
    }
}
