package betalab.api.random;

import betalab.api.Stateful;

/**
 * A source of random numbers for data and initial weights. Two kinds: {@link TorchRng} draws
 * exactly what PyTorch's CPU generator draws for float32 tensors, so runs can be compared with
 * PyTorch scripts value for value; {@link JavaRng} is SplitMix64, the JDK's splittable generator's
 * algorithm. Both save and restore their position exactly.
 */
public interface Rng extends Stateful {

    /** n values uniform in [from, to), as {@code torch.empty(n).uniform_(from, to)}. */
    double[] uniform(int n, double from, double to);

    /** n standard normal values, as {@code torch.randn(n)}. */
    double[] normal(int n);

    /** The generator a name on the command line or in a config stands for ("torch" or "java"). */
    static Rng named(String kind, long seed) {
        return switch (kind) {
            case "torch" -> new TorchRng(seed);
            case "java" -> new JavaRng(seed);
            default -> throw new IllegalArgumentException("unknown rng '" + kind + "'; expected torch or java");
        };
    }
}
