/**
 * Language-model experiments: text corpora, supervised fine-tuning of the transformer policy on the
 * one training loop, and the preference tasks on a causal LM (a programmatic reward on the model's
 * own samples, a user's TRL preference file) with evaluation by sampling.
 */
module betalab.lm {
    requires transitive betalab.training;
    requires betalab.data;
    requires betalab.models;
    requires org.slf4j;
    requires com.fasterxml.jackson.core;
    requires com.fasterxml.jackson.databind;

    exports betalab.lm;
    exports betalab.lm.sft;

    provides betalab.api.registry.Extension with betalab.lm.task.LmTasksExtension;
}
