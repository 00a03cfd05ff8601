/**
 * Preference data: readers for TRL, conversational and Anthropic-HH JSON Lines, the loss calculator
 * on precomputed log-probabilities, and offline β fitting on the one training loop.
 */
module betalab.data {
    requires transitive betalab.training;
    requires com.fasterxml.jackson.core;
    requires com.fasterxml.jackson.databind;

    exports betalab.data;
    exports betalab.data.fit;
}
