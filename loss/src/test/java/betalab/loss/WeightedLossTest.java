package betalab.loss;

import static betalab.loss.CatalogueTest.values;
import static betalab.loss.Formulas.assertMatches;

import betalab.api.preference.PreferenceLoss;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/** TRL's loss_type list with loss_weights: Σₖ wₖ·lossₖ per pair, shared knobs passed to the terms declaring them. */
class WeightedLossTest {

    @Test
    void sumsTheWeightedTermsPassingEachItsKnobs() {
        // epsilon reaches cdpo, exo_pair and aot; divergence reaches cdpo and exo_pair; gamma reaches simpo.
        PreferenceLoss loss = Formulas.loss("weighted", Map.of("terms", "cdpo, exo_pair,simpo,aot",
                "weights", "0.5, 2, -1, 0.25", "epsilon", 0.2, "gamma", "0.1", "divergence", "js"));
        Map<String, Object> epsilon = Map.of("epsilon", 0.2);
        DoubleUnaryOperator js = Formulas.transform("js");
        for (Pairs p : new Pairs[] {Pairs.ORDINARY, Pairs.EXTREME}) {
            double[] expected = Formulas.weightedSum(new double[] {0.5, 2, -1, 0.25},
                    Formulas.cdpo(epsilon).reference().apply(p, js), Formulas.exoPair(epsilon).reference().apply(p, js),
                    Formulas.simpo(Map.of("gamma", 0.1)).expected(p), Formulas.aot(epsilon).expected(p));
            assertMatches(values(loss, p), expected, "weighted");
        }
        CatalogueTest.checkGradients(loss, Pairs.ORDINARY);
    }

    @Test
    void termsKeepTheirOwnDefaultsAndWeightsDefaultToOne() {
        PreferenceLoss loss = Formulas.loss("weighted", Map.of("terms", "exo_pair,discopop,hinge"));
        Pairs p = Pairs.ORDINARY;
        double[] expected = Formulas.weightedSum(new double[] {1, 1, 1}, Formulas.exoPair(Map.of()).expected(p),
                Formulas.discopop(Map.of()).expected(p), Formulas.hinge().expected(p));
        assertMatches(values(loss, p), expected, "weighted with default weights");
    }

    @Test
    void defaultIsSigmoid() {
        assertMatches(values(Formulas.loss("weighted", Map.of()), Pairs.ORDINARY),
                Formulas.sigmoid().expected(Pairs.ORDINARY), "weighted with default knobs");
    }
}
