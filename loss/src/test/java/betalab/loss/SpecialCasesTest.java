package betalab.loss;

import static betalab.loss.CatalogueTest.values;
import static betalab.loss.Formulas.assertMatches;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Where one loss must reduce to another, at ordinary points and at extremes. */
class SpecialCasesTest {
    private static final Pairs[] POINTS = {Pairs.ORDINARY, Pairs.EXTREME};

    private static void assertSame(String loss, Map<String, ?> knobs, String other, Map<String, ?> otherKnobs) {
        for (Pairs p : POINTS) {
            assertMatches(values(Formulas.loss(loss, knobs), p), values(Formulas.loss(other, otherKnobs), p),
                    loss + " " + knobs + " against " + other + " " + otherKnobs);
        }
    }

    @Test
    void cdpoWithoutSmoothingIsSigmoid() {
        assertSame("cdpo", Map.of("epsilon", 0.0), "sigmoid", Map.of());
    }

    @Test
    void robustWithoutFlipsIsSigmoid() {
        assertSame("robust", Map.of("epsilon", 0.0), "sigmoid", Map.of());
    }

    /** With one pair there is nothing to sort: both AOT forms give d = βh, and without smoothing that is DPO. */
    @ParameterizedTest
    @ValueSource(strings = {"aot", "aot_unpaired"})
    void aotOfOnePairIsSigmoid(String aot) {
        Pairs one = new Pairs(new double[] {-3.0}, new double[] {-5.5}, new double[] {-3.4}, new double[] {-4.0},
                new double[] {2}, new double[] {3}, new double[] {0.7});
        assertMatches(values(Formulas.loss(aot, Map.of()), one), values(Formulas.loss("sigmoid", Map.of()), one),
                aot + " of one pair");
    }

    @Test
    void dpopWithoutPenaltyIsSigmoid() {
        assertSame("dpop", Map.of("lambda", 0.0), "sigmoid", Map.of());
    }

    /** Where the policy keeps y_w at least as likely as the reference (c ≥ 0), the penalty is off at any λ. */
    @Test
    void dpopIsSigmoidWhereTheChosenLogRatioIsNotNegative() {
        Pairs up = new Pairs(new double[] {-3.0, -8.0, 1e4}, new double[] {-5.5, -2.0, 0}, new double[] {-3.4, -8.0, 0},
                new double[] {-4.0, -6.0, 0}, new double[] {2, 1, 1}, new double[] {3, 1, 1}, new double[] {0.7, 2, 1});
        assertMatches(values(Formulas.loss("dpop", Map.of("lambda", 500.0)), up),
                values(Formulas.loss("sigmoid", Map.of()), up), "dpop with c ≥ 0");
    }

    /**
     * α = 0 is SimPO exactly (TRL's alpha == 0 branch); α → 0 reaches it continuously, both signs. r = ℓ̄ − αℓ̄²/2 + …,
     * so at |ℓ̄| up to 1e4 (the extremes) α must be ~1e-14 for the true gap to stay under 1e-9 relative.
     */
    @Test
    void alphapoAtAlphaZeroIsSimpo() {
        assertSame("alphapo", Map.of("alpha", 0.0, "gamma", 0.3), "simpo", Map.of("gamma", 0.3));
        for (double alpha : new double[] {1e-14, -1e-14}) {
            for (Pairs p : POINTS) {
                double[] shaped = values(Formulas.loss("alphapo", Map.of("alpha", alpha, "gamma", 0.3)), p);
                double[] simpo = values(Formulas.loss("simpo", Map.of("gamma", 0.3)), p);
                for (int i = 0; i < simpo.length; i++) {
                    assertThat(shaped[i]).as("alphapo α = %s, pair %d", alpha, i)
                            .isCloseTo(simpo[i], within(1e-9 * Math.max(1, Math.abs(simpo[i]))));
                }
            }
        }
    }

    @Test
    void sigmoidNormWithUnitLengthsIsSigmoid() {
        for (Pairs p : POINTS) {
            Pairs unit = p.unitLengths();
            assertMatches(values(Formulas.loss("sigmoid_norm", Map.of()), unit),
                    values(Formulas.loss("sigmoid", Map.of()), unit), "sigmoid_norm, lengths 1");
        }
    }

    @Test
    void registrySigmoidIsPlainDpo() {
        for (Pairs p : POINTS) {
            assertMatches(values(Formulas.loss("sigmoid", Map.of()), p), values(new SigmoidLoss(), p), "sigmoid");
        }
    }

    static Stream<Formulas.Case> onH() {
        return Formulas.catalogue().stream().filter(Formulas.Case::onH);
    }

    /** reverse_kl, named explicitly and with an α that must then be ignored, is the formula in plain h = c − r. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("onH")
    void reverseKlIsThePlainLoss(Formulas.Case c) {
        for (Pairs p : POINTS) {
            assertMatches(values(c.build(Map.of("divergence", "reverse_kl", "alpha", 3.0)), p), c.expected(p),
                    c + " under reverse_kl");
        }
    }

    /** TRL's list of one loss_type with weight 1 is that loss, its knobs passed through. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("betalab.loss.CatalogueTest#catalogue")
    void weightedWithOneTermOfWeightOneIsThatTerm(Formulas.Case c) {
        Map<String, Object> knobs = new java.util.HashMap<>(c.knobs());
        knobs.replaceAll((k, v) -> v.toString());
        knobs.put("terms", c.loss());
        knobs.put("weights", "1");
        for (Pairs p : POINTS) {
            assertMatches(values(Formulas.loss("weighted", knobs), p), values(c.build(), p), "weighted " + c);
        }
    }

    /** α = 1 is the limit α → 1 of the alpha divergence: TRL falls back to reverse_kl (within 1e-6), and so do we. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("onH")
    void alphaOfOneIsReverseKl(Formulas.Case c) {
        for (double alpha : new double[] {1.0, 1 + 5e-7, 1 - 5e-7}) {
            for (Pairs p : POINTS) {
                assertMatches(values(c.build(Map.of("divergence", "alpha", "alpha", alpha)), p), c.expected(p),
                        c + " under alpha " + alpha);
            }
        }
    }
}
