package betalab.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The statistics on made-up results, against values worked by hand. */
class AggregateTest {
    /** Metric m of method a, b at x = 0 and x = 1, seeds 0, 1, 2; b's seed 2 at x = 1 failed. */
    private static final Map<String, double[]> VALUES = Map.of(
            "a__x=0", new double[] {1, 2, 3},
            "b__x=0", new double[] {0.5, 1.0, 2.5},
            "a__x=1", new double[] {4, 5, 6},
            "b__x=1", new double[] {7, 8, Double.NaN});

    @TempDir
    Path dir;

    private SweepConfig config() throws IOException {
        return SweepConfig.read(Files.writeString(dir.resolve("s.yaml"), SweepConfigTest.BASE + """
                methods: {a: {}, b: {}}
                grid: {x: [0, 1]}
                seeds: 3
                metrics: [m]
                """));
    }

    private static List<RunResult> results(SweepConfig c) {
        List<RunResult> out = new ArrayList<>();
        for (SweepRun run : c.runs()) {
            double v = VALUES.get(run.cell())[(int) run.seed()];
            out.add(Double.isNaN(v) ? new RunResult(run, "failed", "boom", Map.of(), Map.of())
                    : new RunResult(run, "completed", null, Map.of("m", v), Map.of()));
        }
        return out;
    }

    @Test
    void cellsHoldMeanSdAndTheTInterval() throws IOException {
        SweepConfig c = config();
        List<Aggregate.Cell> cells = Aggregate.cells(c, results(c));

        // Sorted by x, then best first by m.
        assertThat(cells).extracting(cell -> cell.fields().get("method") + "@" + cell.fields().get("x"))
                .containsExactly("a@0", "b@0", "b@1", "a@1");
        // a at x = 0: {1, 2, 3}: mean 2, sd 1, half-width t(0.975, 2)/√3 = 4.302653/1.732051 = 2.484138.
        Stats.Summary a0 = cells.get(0).stats().get("m");
        assertThat(a0.mean()).isEqualTo(2.0);
        assertThat(a0.sd()).isCloseTo(1.0, within(1e-12));
        assertThat(a0.low()).isCloseTo(-0.484138, within(1e-6));
        assertThat(a0.high()).isCloseTo(4.484138, within(1e-6));
        // b at x = 0: {0.5, 1, 2.5}: mean 4/3, sd √(13/12) = 1.040833.
        assertThat(cells.get(1).stats().get("m").sd()).isCloseTo(1.040833, within(1e-6));
        // b at x = 1: two seeds {7, 8}: half-width t(0.975, 1)·0.707107/√2 = 12.706205·0.5 = 6.353102.
        Aggregate.Cell b1 = cells.get(2);
        assertThat(b1.seeds()).isEqualTo(2);
        assertThat(b1.failed()).isEqualTo(1);
        assertThat(b1.stats().get("m").high()).isCloseTo(7.5 + 6.353102, within(1e-6));

        String markdown = Aggregate.cellsReadable(c, cells).markdown();
        assertThat(markdown).startsWith("| method | x | seeds | m |\n| --- | --- | --- | --- |\n")
                .contains("| a | 0 | 3 | 2 ± 1 [-0.4841, 4.484] |", "| b | 1 | 2 (1 failed) | 7.5 ± 0.7071 [1.147, 13.85] |");
        assertThat(Aggregate.cellsCsv(c, cells).csv().lines().skip(1).findFirst().orElseThrow())
                .startsWith("a,0,3,0,3,2.0,1.0,-0.48413");
    }

    @Test
    void pairedDifferencesAreSeedBySeedAgainstTheBaseline() throws IOException {
        SweepConfig c = config();
        List<Aggregate.Paired> paired = Aggregate.paired(c, results(c));

        assertThat(paired).extracting(Aggregate.Paired::method).containsExactly("b", "b");
        // b − a at x = 0 per seed: {−0.5, −1, −0.5}: mean −2/3, half-width 0.717109.
        Stats.Summary d0 = paired.get(0).diffs().get("m");
        assertThat(d0.n()).isEqualTo(3);
        assertThat(d0.mean()).isCloseTo(-2.0 / 3, within(1e-12));
        assertThat(d0.low()).isCloseTo(-2.0 / 3 - 0.717109, within(1e-6));
        assertThat(d0.high()).isCloseTo(-2.0 / 3 + 0.717109, within(1e-6));
        // At x = 1 only seeds 0 and 1 have both: {3, 3}, no spread, a clear difference.
        Stats.Summary d1 = paired.get(1).diffs().get("m");
        assertThat(d1.n()).isEqualTo(2);
        assertThat(d1.mean()).isEqualTo(3.0);
        assertThat(d1.sign()).isEqualTo(1);

        String markdown = Aggregate.pairedReadable(c, paired).markdown();
        assertThat(markdown).contains("| b − a | 0 | 3 | -0.6667 [-1.384, +0.05044] | no clear difference |",
                "| b − a | 1 | 2 | +3 [+3, +3] | higher |");
    }
}
