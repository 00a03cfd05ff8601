package betalab.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.random.TorchRng;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.testkit.GradientCheck;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** A small float64 batch carrying every optional input, and the checks the β scheme tests share. */
final class Pairs {
    static final Registry REGISTRY = Registry.of(List.of(new BetaSchemesExtension()));

    static final Tensor MARGIN = vector(0.5, -1.0, 2.0, 0.25);
    static final Tensor FEATURES = Tensor.of(DType.FLOAT64, new double[] {0.3, -1.2, 0.8, 0.1, -0.4, 2.0, 1.1, 0.6},
            4, 2);
    static final Tensor REPRESENTATION = Tensor.of(DType.FLOAT64,
            new double[] {0.2, -0.7, 1.3, -1.1, 0.4, 0.05, 0.9, 0.9, -0.3, -0.6, -1.4, 0.8}, 4, 3);
    static final Tensor PROMPT_LOGPS = vector(-12.0, -30.5, -8.2, -20.0);
    static final Tensor PROMPT_LENGTH = vector(6, 10, 4, 9);

    private Pairs() {
    }

    /** The scheme {@code name} built through the registry, with the common knobs applied, as a run builds it. */
    static BetaEstimator create(String name, Map<String, ?> knobs, BetaEstimator.Context context) {
        return REGISTRY.create(BetaEstimator.POINT, name, knobs, context);
    }

    static Tensor vector(double... values) {
        return Tensor.of(DType.FLOAT64, values, values.length);
    }

    /** Features 2 wide, representation 3 wide, generator seeded {@code seed}. */
    static BetaEstimator.Context context(long seed) {
        return new BetaEstimator.Context(2, 3, new TorchRng(seed), DType.FLOAT64);
    }

    /** The four pairs with margins {@link #MARGIN}, features, and the given representation and log πθ(x). */
    static PreferenceBatch batch(Tensor representation, Tensor promptLogps) {
        Tensor zero = MARGIN.zerosLike();
        return PreferenceBatch.of(MARGIN, zero, zero, zero).features(FEATURES).representation(representation)
                .prompt(promptLogps, promptLogps == null ? null : PROMPT_LENGTH).build();
    }

    static PreferenceBatch full() {
        return batch(REPRESENTATION, PROMPT_LOGPS);
    }

    /** Pairs given only by their margins h. */
    static PreferenceBatch margins(double... h) {
        return PreferenceBatch.ofMargins(vector(h), null);
    }

    /** softplus(W2·relu(W1·x + b1) + b2), t = {W1, b1, W2, b2}: a one-hidden-layer head written out without Mlp. */
    static Tensor softplusHead(Tensor x, Tensor... t) {
        return x.matmulTransposed(t[0]).add(t[1]).relu().matmulTransposed(t[2]).add(t[3]).softplus().flatten();
    }

    /**
     * Fails unless the gradients a backward pass left in {@code inputs} equal the finite differences of
     * {@code reference}, an independent formula of the same inputs.
     */
    static void assertGradientsMatch(List<Tensor> inputs, Function<Tensor[], Tensor> reference) {
        double[][] expected = GradientCheck.finiteDifferences(reference, inputs.toArray(new Tensor[0]));
        for (int i = 0; i < inputs.size(); i++) {
            assertThat(inputs.get(i).grad()).as("gradient of input %d", i).isNotNull();
            assertThat(inputs.get(i).grad().toDoubleArray()).as("input %d", i)
                    .containsExactly(expected[i], within(1e-6));
        }
    }
}
