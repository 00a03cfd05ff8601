package betalab.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StatsTest {

    /** Published two-sided 95% critical values of Student's t (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2). */
    @ParameterizedTest
    @CsvSource({"1, 12.706", "2, 4.303", "3, 3.182", "4, 2.776", "5, 2.571", "9, 2.262", "19, 2.093", "29, 2.045",
            "100, 1.984"})
    void tQuantilesMatchTheTable(int df, double expected) {
        assertThat(Stats.tQuantile(0.975, df)).isCloseTo(expected, within(5e-4));
    }

    /** One and two degrees of freedom have closed forms: tan(π(p − ½)) and (2p − 1)/√(2p(1 − p)). */
    @Test
    void tQuantilesMatchTheClosedForms() {
        for (double p : new double[] {0.6, 0.9, 0.975, 0.995}) {
            assertThat(Stats.tQuantile(p, 1)).isCloseTo(Math.tan(Math.PI * (p - 0.5)), within(1e-9));
            assertThat(Stats.tQuantile(p, 2)).isCloseTo((2 * p - 1) / Math.sqrt(2 * p * (1 - p)), within(1e-9));
            assertThat(Stats.tQuantile(1 - p, 7)).isCloseTo(-Stats.tQuantile(p, 7), within(1e-12));
        }
        // Many degrees of freedom approach the normal's 1.959964.
        assertThat(Stats.tQuantile(0.975, 100_000)).isCloseTo(1.959964, within(1e-4));
    }

    @Test
    void logGammaMatchesFactorials() {
        assertThat(Stats.logGamma(5)).isCloseTo(Math.log(24), within(1e-12));
        assertThat(Stats.logGamma(0.5)).isCloseTo(0.5 * Math.log(Math.PI), within(1e-12));
    }

    /** 1..5: mean 3, sd √2.5, half-width 2.776445·√2.5/√5 = 1.963243 (worked by hand). */
    @Test
    void summaryOfFiveValues() {
        Stats.Summary s = Stats.of(1, 2, 3, 4, 5);
        assertThat(s.n()).isEqualTo(5);
        assertThat(s.mean()).isEqualTo(3.0);
        assertThat(s.sd()).isCloseTo(1.5811388, within(1e-7));
        assertThat(s.low()).isCloseTo(1.036757, within(1e-6));
        assertThat(s.high()).isCloseTo(4.963243, within(1e-6));
        assertThat(s.sign()).isEqualTo(1);
    }

    @Test
    void oneValueHasNoSpread() {
        Stats.Summary s = Stats.of(0.7);
        assertThat(s.mean()).isEqualTo(0.7);
        assertThat(s.sd()).isNaN();
        assertThat(s.low()).isNaN();
        assertThat(Stats.of().n()).isZero();
    }

    /**
     * a − b per seed, over the seeds both have: {0.5, 1.0, 0.5}; mean 2/3, sd 0.288675, half-width
     * t(0.975, 2)·sd/√3 = 4.302653·0.166667 = 0.717109 (worked by hand). Seed 9 has no partner.
     */
    @Test
    void pairedDifferenceIsPerSeed() {
        Stats.Summary d = Stats.paired(Map.of(1L, 1.0, 2L, 2.0, 3L, 3.0, 9L, 100.0),
                Map.of(1L, 0.5, 2L, 1.0, 3L, 2.5));
        assertThat(d.n()).isEqualTo(3);
        assertThat(d.mean()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(d.sd()).isCloseTo(0.2886751, within(1e-7));
        assertThat(d.low()).isCloseTo(2.0 / 3 - 0.717109, within(1e-6));
        assertThat(d.high()).isCloseTo(2.0 / 3 + 0.717109, within(1e-6));
        assertThat(d.sign()).isZero();
    }
}
