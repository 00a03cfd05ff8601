package betalab.data;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The preference-data layouts betalab reads, one JSON object per line; precomputed columns may join any of them. */
public enum DataFormat {
    /** TRL's standard form: {@code {"prompt": text, "chosen": text, "rejected": text}}. */
    TRL(List.of("prompt", "chosen", "rejected")),
    /** TRL's conversational form: prompt, chosen and rejected are lists of {@code {"role", "content"}} messages. */
    CONVERSATIONAL(List.of("prompt", "chosen", "rejected")),
    /**
     * Anthropic HH: two whole dialogues, {@code {"chosen": text, "rejected": text}}; the prompt is each
     * one up to and including its last "\n\nAssistant:", and must be the same in both.
     */
    HH(List.of("chosen", "rejected"));

    private final List<String> textFields;

    DataFormat(List<String> textFields) {
        this.textFields = textFields;
    }

    /** The text fields every line must hold. */
    public List<String> textFields() {
        return textFields;
    }

    /** Its name in a config. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static DataFormat named(String label) {
        for (DataFormat f : values()) {
            if (f.label().equals(label)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown format '" + label + "'; expected one of "
                + String.join(", ", Arrays.stream(values()).map(DataFormat::label).toList()));
    }
}
