package betalab.lm.task;

import betalab.api.policy.Policy;
import betalab.api.random.Rng;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.task.PreferencePairs;
import betalab.api.task.Task;
import betalab.data.DataFormat;
import betalab.data.LineErrors;
import betalab.data.PreferenceReader;
import betalab.data.PreferenceRecord;
import betalab.data.PreferenceRecord.Column;
import betalab.data.fit.BetaFitter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A user's own preference file as the language model's task: JSON Lines in TRL's text form (or
 * conversational, or Anthropic HH), read by betalab's preference reader, tokenized with the model's
 * tokenizer as TRL's DPOTrainer does for a decoder-only model (no special tokens, the
 * end-of-sequence token appended to chosen and rejected). Every k-th distinct prompt, in order of
 * first appearance, is held out with all its pairs for {@link PairEvaluation}. The labels are the
 * file's: no pair is known to be flipped. With {@code reference_logps}, the file's
 * {@code ref_chosen_logps} and {@code ref_rejected_logps} (what {@code betalab logps --as ref}
 * writes) stand for the reference's log-probabilities, as TRL's precomputed reference does.
 */
final class DataTask implements Task {
    static final Knob<String> PATH = Knob.text("path", null,
            "the preference file, JSON Lines: prompt, chosen and rejected text (TRL's form) or as format says");
    static final Knob<Integer> VALIDATION_EVERY = Knob.integer("validation_every", 10,
            "every k-th distinct prompt, in order of first appearance, is held out with all its pairs").atLeast(2);
    static final Knob<Boolean> REFERENCE_LOGPS = Knob.flag("reference_logps", false,
            "take the reference's log-probabilities from the file's ref_chosen_logps and ref_rejected_logps "
                    + "(betalab logps --as ref), which every line must give, instead of scoring the reference");
    static final List<Knob<?>> KNOBS = List.of(PATH, BetaFitter.FORMAT, BetaFitter.SKIP_IDENTICAL, VALIDATION_EVERY,
            REFERENCE_LOGPS);

    private final String owner;
    private final Path file;
    private final boolean referenceLogps;
    private final List<PreferenceRecord> train = new ArrayList<>();
    private final List<PreferenceRecord> heldOut = new ArrayList<>();

    /** Reads and checks every line of the file, and splits it. */
    DataTask(Settings settings, Context context) {
        owner = settings.owner();
        if (settings.get(PATH) == null || settings.get(PATH).isBlank()) {
            throw new IllegalArgumentException("knob 'path' is missing: name the preference file");
        }
        file = Path.of(settings.get(PATH));
        referenceLogps = settings.get(REFERENCE_LOGPS);
        Set<Column> required = referenceLogps ? EnumSet.of(Column.REF_CHOSEN_LOGPS, Column.REF_REJECTED_LOGPS)
                : EnumSet.noneOf(Column.class);
        int every = settings.get(VALIDATION_EVERY);
        Map<String, Integer> promptOrder = new HashMap<>();
        new PreferenceReader(file, DataFormat.named(settings.get(BetaFitter.FORMAT)), null, required,
                settings.get(BetaFitter.SKIP_IDENTICAL)).read(r -> {
                    int order = promptOrder.computeIfAbsent(r.prompt(), p -> promptOrder.size());
                    (order % every == every - 1 ? heldOut : train).add(r);
                });
        if (heldOut.isEmpty()) {
            throw new IllegalArgumentException(file + ": has " + promptOrder.size() + " distinct prompt(s); holding "
                    + "out every " + every + "th (validation_every) needs at least " + every);
        }
    }

    @Override
    public int vocabularySize() {
        return 0;
    }

    @Override
    public int featureDim() {
        return 0;
    }

    /** The training pairs tokenized with the reference's tokenizer; nothing is drawn from {@code rng}. */
    @Override
    public Prepared prepare(Policy reference, Rng rng) {
        Policy.Tokenizer tokenizer = LanguageModels.tokenizer(reference, owner);
        PreferencePairs trainPairs = tokenize(train, tokenizer, LanguageModels.maxPositions(reference));
        PreferencePairs heldOutPairs = tokenize(heldOut, tokenizer, LanguageModels.maxPositions(reference));
        return new Prepared(trainPairs, new PairEvaluation(heldOutPairs));
    }

    private PreferencePairs tokenize(List<PreferenceRecord> records, Policy.Tokenizer tokenizer, int limit) {
        LineErrors errors = new LineErrors(file);
        int n = records.size();
        int[][] prompts = new int[n][];
        int[][] chosen = new int[n][];
        int[][] rejected = new int[n][];
        double[] refChosen = new double[n];
        double[] refRejected = new double[n];
        for (int i = 0; i < n; i++) {
            PreferenceRecord r = records.get(i);
            prompts[i] = tokenizer.encode(r.prompt());
            chosen[i] = tokenizer.completion(r.chosen());
            rejected[i] = tokenizer.completion(r.rejected());
            if (prompts[i].length == 0) {
                throw errors.at(r.line(), "prompt", "has no tokens; a causal model needs at least one before the "
                        + "completion");
            }
            for (String side : List.of("chosen", "rejected")) {
                int[] completion = side.equals("chosen") ? chosen[i] : rejected[i];
                if (completion.length == 0) {
                    throw errors.at(r.line(), side, "has no tokens (and the model has no end-of-sequence token)");
                }
                if (prompts[i].length + completion.length > limit) {
                    throw errors.at(r.line(), "prompt and " + side + " are " + (prompts[i].length + completion.length)
                            + " tokens, longer than the model's max_position_embeddings " + limit);
                }
            }
            refChosen[i] = r.get(Column.REF_CHOSEN_LOGPS);
            refRejected[i] = r.get(Column.REF_REJECTED_LOGPS);
        }
        PreferencePairs pairs = new PreferencePairs(prompts, chosen, rejected, new boolean[n], null, 0);
        return referenceLogps ? pairs.withReferenceLogps(refChosen, refRejected) : pairs;
    }
}
