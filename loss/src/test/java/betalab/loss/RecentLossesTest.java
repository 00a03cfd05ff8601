package betalab.loss;

import static betalab.loss.CatalogueTest.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * dpop, cal_dpo and alphapo at single pairs, against values worked out from the published formulas
 * outside Java (Python with mpmath at 40 digits), so a slip shared by the loss and {@link Formulas} still shows.
 */
class RecentLossesTest {

    private static double one(String loss, Map<String, ?> knobs, double pc, double pr, double rc, double rr,
                              double lw, double ll, double beta) {
        Pairs p = new Pairs(new double[] {pc}, new double[] {pr}, new double[] {rc}, new double[] {rr},
                new double[] {lw}, new double[] {ll}, new double[] {beta});
        return values(Formulas.loss(loss, knobs), p)[0];
    }

    /** −log σ(β·(h − λ·max(0, −c))): c = −1 (penalty on), c = 0.5 (off), and a penalty of 50 at β = 2. */
    @ParameterizedTest
    @CsvSource({
            "-5, -7, -4, -6.5, 0.5, 25.250000000010815942",
            "-3, -6, -3.5, -5, 0.1, 0.62095704778953207366",
            "-2, -40, -1, -1, 2.0, 24.000000000037751345"})
    void dpop(double pc, double pr, double rc, double rr, double beta, double expected) {
        assertThat(one("dpop", Map.of(), pc, pr, rc, rr, 1, 1, beta)).isCloseTo(expected, within(1e-12 * expected));
    }

    /** −log σ(c − r) + ½(c − 1/(2β))² + ½(r + 1/(2β))², down to β = 1e-3 (the authors' setting) where 1/(2β) = 500. */
    @ParameterizedTest
    @CsvSource({
            "-5, -7, -4, -6.5, 0.5, 3.0990769841801066809",
            "-3, -6, -3.5, -5, 0.1, 18.32641327798275005",
            "-2, -40, -1, -1, 0.001, 231760.99999999998999"})
    void calDpo(double pc, double pr, double rc, double rr, double beta, double expected) {
        assertThat(one("cal_dpo", Map.of(), pc, pr, rc, rr, 1, 1, beta)).isCloseTo(expected, within(1e-12 * expected));
    }

    /**
     * −log σ(β·(r(y_w) − r(y_l)) − γ), r = (1 − e^(−α·ℓ̄))/α: the paper's Mistral setting (α 0.25, β 2.5, γ 0.1),
     * a negative α, an exponent past the cap of 80, and α = 1e-7 where exp(x) − 1 would lose half its digits.
     * The reference log-probabilities are ignored (reference-free).
     */
    @ParameterizedTest
    @CsvSource({
            "-12, -20, 6, 5, 2.5, 0.25, 0.1, 0.000025025428993068506135",
            "-3, -1, 2, 1, 1.0, -0.5, 0.5, 1.1493556561969113707",
            "-400, -2, 1, 1, 1.0, 0.25, 0.5, 2.216248953757404021e35",
            "-1, -2, 1, 1, 1.0, 1e-7, 0.5, 0.4740769275490046003"})
    void alphapo(double pc, double pr, double lw, double ll, double beta, double alpha, double gamma, double expected) {
        double actual = one("alphapo", Map.of("alpha", alpha, "gamma", gamma), pc, pr, 7, -3, lw, ll, beta);
        assertThat(actual).isCloseTo(expected, within(1e-12 * expected));
    }
}
