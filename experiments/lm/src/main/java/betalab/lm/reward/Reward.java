package betalab.lm.reward;

import java.util.List;

/**
 * A programmatic true reward r*(y) of a completion's text, the language-model task's hidden
 * preference: pairs are labelled by Bradley–Terry on it, and evaluation reports it. Chosen by name.
 */
public interface Reward {

    /** The names {@link #named} knows. */
    List<String> NAMES = List.of("sentiment", "length");

    /** r* of a completion's text (the end-of-sequence token left out). */
    double score(String completion);

    /**
     * The reward called {@code name}: "sentiment", AFINN-165's valence summed over the words and
     * phrases ({@link Sentiment}); "length", minus the distance in words from {@code targetWords}
     * ({@link TargetLength}).
     */
    static Reward named(String name, int targetWords) {
        return switch (name) {
            case "sentiment" -> Sentiment.afinn();
            case "length" -> new TargetLength(targetWords);
            default -> throw new IllegalArgumentException("unknown reward '" + name + "'; known: "
                    + String.join(", ", NAMES));
        };
    }
}
