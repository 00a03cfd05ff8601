package betalab.loss;

import static betalab.loss.Formulas.assertMatches;
import static org.assertj.core.api.Assertions.assertThat;

import betalab.api.preference.PreferenceLoss;
import betalab.api.testkit.GradientCheck;
import betalab.api.tensor.Tensor;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every loss of the catalogue, built by name from the registry, against its formula in plain
 * doubles ({@link Formulas}): values at ordinary points and at extremes, and gradients in the four
 * log-probabilities and β by finite differences. The losses written in h are checked again under
 * every f-divergence.
 */
class CatalogueTest {

    static Stream<Formulas.Case> catalogue() {
        return Formulas.catalogue().stream();
    }

    static Stream<Arguments> underDivergences() {
        return catalogue().filter(Formulas.Case::onH)
                .flatMap(c -> Formulas.DIVERGENCES.stream().map(d -> Arguments.of(c, d)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void matchesTheFormulaAtOrdinaryPoints(Formulas.Case c) {
        assertMatches(values(c.build(), Pairs.ORDINARY), c.expected(Pairs.ORDINARY), c.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void staysFiniteAndMatchesAtExtremes(Formulas.Case c) {
        assertMatches(values(c.build(), Pairs.EXTREME), c.expected(Pairs.EXTREME), c.toString());
        assertFiniteGradients(c.build(), Pairs.EXTREME);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void gradientsMatchFiniteDifferences(Formulas.Case c) {
        checkGradients(c.build(), Pairs.ORDINARY);
    }

    @ParameterizedTest(name = "{0} under {1}")
    @MethodSource("underDivergences")
    void divergenceTransformsTheLogRatios(Formulas.Case c, Formulas.DivergenceCase d) {
        PreferenceLoss loss = c.build(d.knobs());
        for (Pairs points : new Pairs[] {Pairs.ORDINARY, Pairs.EXTREME}) {
            assertMatches(values(loss, points), c.reference().apply(points, d.s()), c + " under " + d);
        }
        assertFiniteGradients(loss, Pairs.EXTREME);
        checkGradients(loss, Pairs.ORDINARY);
    }

    static double[] values(PreferenceLoss loss, Pairs points) {
        Tensor perPair = loss.perPair(points.batch(), points.betaTensor());
        assertThat(perPair.shape()).containsExactly(points.size());
        return perPair.toDoubleArray();
    }

    /** Autodiff against finite differences, on a weighted sum so that each pair's loss counts apart. */
    static void checkGradients(PreferenceLoss loss, Pairs points) {
        double[] w = java.util.stream.IntStream.rangeClosed(1, points.size()).asDoubleStream().toArray();
        GradientCheck.check(t -> loss.perPair(points.batch(t), t[4]).mul(Pairs.f64(w)).sum(), points.inputs());
    }

    private static void assertFiniteGradients(PreferenceLoss loss, Pairs points) {
        double[][] grads = GradientCheck.autodiff(t -> loss.perPair(points.batch(t), t[4]).sum(), points.inputs());
        for (double[] g : grads) {
            assertThat(Arrays.stream(g).allMatch(Double::isFinite)).as("gradients %s", Arrays.deepToString(grads))
                    .isTrue();
        }
    }
}
