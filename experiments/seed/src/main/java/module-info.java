/** The seed document's experiment — β(x) trained alone on fixed margins Δ — on the one training loop. */
module betalab.seed {
    requires transitive betalab.training;

    exports betalab.seed;
}
