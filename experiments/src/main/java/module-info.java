/**
 * Experiments: the environments, training loops, their results and run directories. Compiles
 * against the api only; policies, losses, β schemes and optimizers are chosen by name from the
 * registry.
 */
module betalab.experiments {
    requires transitive betalab.api;
    requires org.slf4j;
    requires transitive com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;
    // Sweep plots: JFreeChart (an automatic module) draws with AWT, headless.
    requires org.jfree.jfreechart;
    requires java.desktop;

    exports betalab.experiments;
    exports betalab.experiments.bandit;
    exports betalab.experiments.data;
    exports betalab.experiments.fit;
    exports betalab.experiments.seed;
    exports betalab.experiments.sweep;
    exports betalab.experiments.train;

    // Configs, checkpoints and results are records that Jackson builds and reads reflectively.
    opens betalab.experiments.bandit to com.fasterxml.jackson.databind;
    opens betalab.experiments.train to com.fasterxml.jackson.databind;
    opens betalab.experiments.fit to com.fasterxml.jackson.databind;
}
