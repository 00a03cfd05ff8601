/**
 * Experiments: data, training loops and their results. Compiles against the api only; losses,
 * β schemes and optimizers are chosen by name from the registry.
 */
module betalab.experiments {
    requires transitive betalab.api;
    requires org.slf4j;

    exports betalab.experiments;
    exports betalab.experiments.seed;
}
