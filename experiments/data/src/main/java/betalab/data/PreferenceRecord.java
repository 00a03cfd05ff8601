package betalab.data;

/**
 * One preference pair as read from a file: the prompt and the two completions as text (a
 * conversation rendered one message a line as "role: content"), the precomputed numbers the line
 * gave, and the prompt's feature vector if one was asked for.
 *
 * @param line     the line of the file it came from, from 1
 * @param prompt   the prompt x
 * @param chosen   the preferred completion y_w
 * @param rejected the other completion y_l
 * @param values   the {@link Column}s by ordinal, NaN where the line gave none (input NaNs are refused)
 * @param features the prompt's features, or null when none were asked for
 */
public record PreferenceRecord(long line, String prompt, String chosen, String rejected, double[] values,
                               double[] features) {

    /**
     * The precomputed numbers a line may carry, by the field names TRL and {@code betalab loss} use;
     * they come in pairs (declared side by side) that a line gives both or neither of, except the
     * pair's weight in the training mean (finite, ≥ 0), which stands alone.
     */
    public enum Column {
        POLICY_CHOSEN_LOGPS("policy_chosen_logps"),
        POLICY_REJECTED_LOGPS("policy_rejected_logps"),
        REF_CHOSEN_LOGPS("ref_chosen_logps"),
        REF_REJECTED_LOGPS("ref_rejected_logps"),
        CHOSEN_LENGTH("chosen_length"),
        REJECTED_LENGTH("rejected_length"),
        PROMPT_LOGPS("prompt_logps"),
        PROMPT_LENGTH("prompt_length"),
        WEIGHT("weight");

        private final String field;

        Column(String field) {
            this.field = field;
        }

        /** Its name in a file. */
        public String field() {
            return field;
        }

        /** The column a line must give along with this one, as the pair's other half; null for the weight. */
        Column partner() {
            return this == WEIGHT ? null : values()[ordinal() ^ 1];
        }

        /** Token counts must be positive. */
        boolean isLength() {
            return this == CHOSEN_LENGTH || this == REJECTED_LENGTH || this == PROMPT_LENGTH;
        }

        static Column named(String field) {
            for (Column c : values()) {
                if (c.field.equals(field)) {
                    return c;
                }
            }
            return null;
        }
    }

    public boolean has(Column c) {
        return !Double.isNaN(values[c.ordinal()]);
    }

    /** The column's value; NaN where the line gave none. */
    public double get(Column c) {
        return values[c.ordinal()];
    }
}
