/**
 * The training core: the one training loop and its listeners (checks, clipping, metrics,
 * evaluation, checkpoints), the preference metrics, configs declared as knobs, run directories and
 * provenance, and preference training of a policy on a task. Sees only the api; losses, β schemes,
 * policies, optimizers and tasks are chosen by name from the registry.
 */
module betalab.training {
    requires transitive betalab.api;
    requires org.slf4j;
    requires com.fasterxml.jackson.core;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;

    exports betalab.training;

    // Checkpoints are records that Jackson reads reflectively.
    opens betalab.training to com.fasterxml.jackson.databind;
}
