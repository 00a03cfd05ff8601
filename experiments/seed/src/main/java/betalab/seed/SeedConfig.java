package betalab.seed;

import java.util.List;

/**
 * The seed document's experiment, every tunable in one place. Defaults reproduce the document's
 * printed run (which trained 200 epochs, not the 1000 its listing says).
 *
 * @param seed      generator seed ({@code torch.manual_seed})
 * @param epochs    full-batch Adam steps
 * @param samples   number of pairs; the first half get Δ &gt; 0, the rest Δ &lt; 0
 * @param dim       width of each prompt's feature vector x
 * @param hidden    hidden layer widths of the β network
 * @param lr        Adam's learning rate
 * @param rng       "torch" draws as PyTorch's CPU generator does; "java" uses the JDK's
 * @param betaScheme the β estimator's registry name
 * @param loss      the preference loss's registry name
 * @param optimizer the optimizer's registry name
 */
public record SeedConfig(long seed, int epochs, int samples, int dim, List<Integer> hidden, double lr, String rng,
                         String betaScheme, String loss, String optimizer) {

    public static SeedConfig defaults() {
        return new SeedConfig(42, 200, 20, 5, List.of(10), 0.01, "torch", "softplus_mlp", "sigmoid", "adam");
    }

    public SeedConfig {
        hidden = List.copyOf(hidden);
        require(epochs >= 1, "epochs", "≥ 1", epochs);
        require(samples >= 2, "samples", "≥ 2", samples);
        require(dim >= 1, "dim", "≥ 1", dim);
        require(!hidden.isEmpty() && hidden.stream().allMatch(h -> h >= 1), "hidden", "one or more widths ≥ 1",
                hidden);
        require(lr > 0 && Double.isFinite(lr), "lr", "> 0", lr);
        require(rng.equals("torch") || rng.equals("java"), "rng", "torch or java", rng);
    }

    public SeedConfig withSeed(long newSeed) {
        return new SeedConfig(newSeed, epochs, samples, dim, hidden, lr, rng, betaScheme, loss, optimizer);
    }

    public SeedConfig withBetaScheme(String name) {
        return new SeedConfig(seed, epochs, samples, dim, hidden, lr, rng, name, loss, optimizer);
    }

    private static void require(boolean ok, String field, String expected, Object got) {
        if (!ok) {
            throw new IllegalArgumentException(field + " must be " + expected + ", got " + got);
        }
    }
}
