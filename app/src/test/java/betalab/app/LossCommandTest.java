package betalab.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.registry.Knob;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import betalab.data.LossCalculator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LossCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Registry REGISTRY = Registry.discover();
    private static final String[] OUTPUT = {"loss", "d_policy_chosen_logps", "d_policy_rejected_logps", "d_beta"};

    @TempDir
    Path dir;

    /** One input line: the four log-probabilities, then any further "name": value text. */
    private static String pair(double pc, double pr, double rc, double rr, String more) {
        return "{\"policy_chosen_logps\": " + pc + ", \"policy_rejected_logps\": " + pr + ", \"ref_chosen_logps\": "
                + rc + ", \"ref_rejected_logps\": " + rr + (more.isEmpty() ? "" : ", " + more) + "}";
    }

    private Path file(String name, String... lines) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, List.of(lines));
        return f;
    }

    private CliRun loss(Path in, Path out, String... options) {
        List<String> args = new ArrayList<>(List.of("loss"));
        args.addAll(List.of(options));
        args.addAll(List.of("--in", in.toString(), "--out", out.toString()));
        return CliRun.of(args.toArray(String[]::new));
    }

    private static List<JsonNode> results(Path out) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            rows.add(JSON.readTree(line));
        }
        return rows;
    }

    private static double sigma(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** A result line against DPO's hand formulas: −log σ(βh), −β·σ(−βh)/N, +β·σ(−βh)/N, −h·σ(−βh)/N. */
    private static void assertSigmoid(JsonNode row, double h, double beta, int n) {
        assertThat(sigmoidMismatch(row, h, beta, n)).isNull();
    }

    /** What in a result line differs from DPO's formulas, or null; plain code, as 200 000 lines are checked. */
    private static String sigmoidMismatch(JsonNode row, double h, double beta, int n) {
        double s = sigma(-beta * h);
        double[] expected = {Math.log1p(Math.exp(-beta * h)), -beta * s / n, beta * s / n, -h * s / n};
        for (int f = 0; f < OUTPUT.length; f++) {
            double got = row.get(OUTPUT[f]).asDouble();
            if (!close(got, expected[f])) {
                return OUTPUT[f] + " is " + got + ", expected " + expected[f] + " (h " + h + ", β " + beta + ")";
            }
        }
        return null;
    }

    /** Equal to 12 significant digits: the formulas and the loss round differently. */
    private static boolean close(double got, double expected) {
        return Math.abs(got - expected) <= 1e-12 * Math.abs(expected) + 1e-300;
    }

    private void assertNothingWritten() throws IOException {
        assertThat(dir.resolve("out")).doesNotExist();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(name -> name.endsWith(".tmp"));
        }
    }

    @Test
    void sigmoidLossesAndGradientsOfTheMeanMatchTheFormulas() throws IOException {
        // h = 1, −0.5 and 2.75; lengths do not enter DPO's loss
        Path in = file("pairs.jsonl", pair(-1, -2, -1.5, -1.5, ""), pair(-3, -2, -2.5, -2, ""),
                pair(-0.25, -4, -1, -2, "\"chosen_length\": 3, \"rejected_length\": 5"));
        Path out = dir.resolve("out/result.jsonl");
        CliRun r = loss(in, out, "--loss", "sigmoid");
        assertThat(r.exitCode()).as(r.err()).isZero();
        List<JsonNode> rows = results(out);
        assertThat(rows).hasSize(3);
        assertSigmoid(rows.get(0), 1, 0.1, 3);
        assertSigmoid(rows.get(1), -0.5, 0.1, 3);
        assertSigmoid(rows.get(2), 2.75, 0.1, 3);
        // −log σ(0.1), worked out by hand
        assertThat(rows.get(0).get("loss").asDouble()).isCloseTo(0.644396660073571, within(1e-14));
        try (Stream<Path> files = Files.list(out.getParent())) {
            assertThat(files).containsExactly(out);
        }
    }

    @Test
    void aPairsOwnBetaReplacesTheOption() throws IOException {
        Path in = file("pairs.jsonl", pair(-1, -2, -1.5, -1.5, "\"beta\": 0.5"), pair(-1, -2, -1.5, -1.5, ""),
                pair(-1, -2, -1.5, -1.5, "\"beta\": null"));
        Path out = dir.resolve("result.jsonl");
        CliRun r = loss(in, out, "--loss", "sigmoid", "--beta", "2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        List<JsonNode> rows = results(out);
        assertSigmoid(rows.get(0), 1, 0.5, 3);
        assertSigmoid(rows.get(1), 1, 2, 3);
        assertSigmoid(rows.get(2), 1, 2, 3);
    }

    /**
     * rewards/… as TRL computes them, with the one β of --beta; rewards_beta/… with each pair's own β.
     * c = 0.5, −0.5, 0.75 and r = −0.5, 0, −2; the second pair has β = 0.5.
     */
    @Test
    void summaryGivesTheMeanLossAndTrlRewardMetrics() throws IOException {
        Path in = file("pairs.jsonl", pair(-1, -2, -1.5, -1.5, ""), pair(-3, -2, -2.5, -2, "\"beta\": 0.5"),
                pair(-0.25, -4, -1, -2, ""));
        CliRun r = loss(in, dir.resolve("result.jsonl"), "--loss", "sigmoid");
        assertThat(r.exitCode()).as(r.err()).isZero();
        String summary = r.err().strip();
        assertThat(summary).doesNotContain("\n").startsWith("sigmoid on 3 pairs:");
        double meanLoss = (Math.log1p(Math.exp(-0.1)) + Math.log1p(Math.exp(0.25)) + Math.log1p(Math.exp(-0.275))) / 3;
        assertThat(metric(summary, "loss")).isCloseTo(meanLoss, within(1e-6));
        // β = 0.1 for all: βc = 0.05, −0.05, 0.075 and βr = −0.05, 0, −0.2.
        assertThat(metric(summary, "rewards/chosen")).isCloseTo(0.075 / 3, within(1e-7));
        assertThat(metric(summary, "rewards/rejected")).isCloseTo(-0.25 / 3, within(1e-7));
        assertThat(metric(summary, "rewards/accuracies")).isCloseTo(2.0 / 3, within(1e-6));
        assertThat(metric(summary, "rewards/margins")).isCloseTo(0.325 / 3, within(1e-6));
        // Each pair's β: βc = 0.05, −0.25, 0.075 and βr = −0.05, 0, −0.2.
        assertThat(metric(summary, "rewards_beta/chosen")).isCloseTo(-0.125 / 3, within(1e-7));
        assertThat(metric(summary, "rewards_beta/rejected")).isCloseTo(-0.25 / 3, within(1e-7));
        assertThat(metric(summary, "rewards_beta/accuracies")).isCloseTo(2.0 / 3, within(1e-6));
        assertThat(metric(summary, "rewards_beta/margins")).isCloseTo(0.125 / 3, within(1e-7));
    }

    /** --beta is the β of rewards/…: with --beta 2 they are 20 times those with the default 0.1. */
    @Test
    void theTrlRewardsUseTheBetaOption() throws IOException {
        Path in = file("pairs.jsonl", pair(-1, -2, -1.5, -1.5, ""), pair(-3, -2, -2.5, -2, "\"beta\": 0.5"));
        CliRun r = loss(in, dir.resolve("result.jsonl"), "--loss", "sigmoid", "--beta", "2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        String summary = r.err().strip();
        // c = 0.5, −0.5 and r = −0.5, 0: 2·mean(c) = 0, 2·mean(r) = −0.5, 2·mean(c − r) = 0.5.
        assertThat(metric(summary, "rewards/chosen")).isCloseTo(0, within(1e-12));
        assertThat(metric(summary, "rewards/rejected")).isCloseTo(-0.5, within(1e-7));
        assertThat(metric(summary, "rewards/margins")).isCloseTo(0.5, within(1e-7));
        // Own β 2 and 0.5: βc = 1, −0.25 and βr = −1, 0.
        assertThat(metric(summary, "rewards_beta/chosen")).isCloseTo(0.375, within(1e-7));
        assertThat(metric(summary, "rewards_beta/margins")).isCloseTo(0.875, within(1e-7));
    }

    private static double metric(String summary, String name) {
        Matcher m = Pattern.compile("(?:^| )" + Pattern.quote(name) + "=(\\S+)").matcher(summary);
        assertThat(m.find()).as(name + " in " + summary).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "malformed JSON|`{\"policy_chosen_logps\": -1, \"policy_rejected_logps\": `|malformed JSON",
            "missing field|`{\"policy_chosen_logps\": -1, \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1}`"
                    + "|field 'ref_rejected_logps' is missing",
            "NaN|`" + "{\"policy_chosen_logps\": NaN, \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1, "
                    + "\"ref_rejected_logps\": -1}`|field 'policy_chosen_logps' must be a finite number, got NaN",
            "overflow|`{\"policy_chosen_logps\": -1, \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1e999, "
                    + "\"ref_rejected_logps\": -1}`|field 'ref_chosen_logps' must be a finite number, got -1e999",
            "string|`{\"policy_chosen_logps\": -1, \"policy_rejected_logps\": \"-2\", \"ref_chosen_logps\": -1, "
                    + "\"ref_rejected_logps\": -1}`|field 'policy_rejected_logps' must be a number, got \"-2\"",
            "line break in a string|`{\"policy_chosen_logps\": -1, \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1, "
                    + "\"ref_rejected_logps\": -1, \"beta\": \"0.1\\nx\"}`|field 'beta' must be a number, got \"0.1 x\"",
            "zero length|`{\"policy_chosen_logps\": -1, \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1, "
                    + "\"ref_rejected_logps\": -1, \"rejected_length\": 0}`|field 'rejected_length' must be > 0, got 0",
            "negative beta|`{\"policy_chosen_logps\": -1, \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1, "
                    + "\"ref_rejected_logps\": -1, \"beta\": -0.1}`|field 'beta' must be > 0, got -0.1",
            "blank line|`  `|blank line",
            "not an object|[1, 2]|expected a JSON object"})
    void aBadLineIsNamedWithItsFieldAndNothingIsWritten(String name, String badLine, String message)
            throws IOException {
        Path in = file("pairs.jsonl", pair(-1, -2, -1.5, -1.5, ""), badLine, pair(-1, -2, -1.5, -1.5, ""));
        CliRun r = loss(in, dir.resolve("out/result.jsonl"), "--loss", "sigmoid");
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.err().strip()).doesNotContain("\n").contains(in + ", line 2: " + message);
        assertNothingWritten();
    }

    @Test
    void anEmptyFileIsRefused() throws IOException {
        Path in = file("empty.jsonl");
        CliRun r = loss(in, dir.resolve("out/result.jsonl"), "--loss", "sigmoid");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).doesNotContain("\n").contains(in + ": no pairs, the file is empty");
        assertNothingWritten();
    }

    @Test
    void aNonFiniteResultFailsAndKeepsTheOldOutput() throws IOException {
        // h overflows to +∞, so d_beta = −h·σ(−βh) = −∞·0 is NaN
        Path in = file("pairs.jsonl", pair(-1, -2, -1.5, -1.5, ""), pair(1e308, -1e308, -1e308, 1e308, ""));
        Path out = file("result.jsonl", "old");
        CliRun r = loss(in, out, "--loss", "sigmoid");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err().strip()).doesNotContain("\n").contains(in + ", line 2: loss 'sigmoid' gives d_beta = NaN");
        assertThat(Files.readAllLines(out)).containsExactly("old");
        assertNothingWritten();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--loss|nonexistent|--loss: unknown loss 'nonexistent'; available: ",
            "--beta|0|--beta must be a finite number > 0, got 0.0",
            "--beta|NaN|--beta must be a finite number > 0",
            "--beta|abc|--beta"})
    void badOptionsGiveOneLineAndExitCodeTwo(String option, String value, String message) throws IOException {
        Path in = file("pairs.jsonl", pair(-1, -2, -1.5, -1.5, ""));
        String[] args = option.equals("--loss") ? new String[] {option, value}
                : new String[] {"--loss", "sigmoid", option, value};
        CliRun r = loss(in, dir.resolve("out/result.jsonl"), args);
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).doesNotContain("\n").contains(message);
        assertNothingWritten();
    }

    @Test
    void aMissingInputFileIsAUsageError() {
        CliRun r = loss(dir.resolve("absent.jsonl"), dir.resolve("out/result.jsonl"), "--loss", "sigmoid");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).doesNotContain("\n").contains("--in: " + dir.resolve("absent.jsonl") + " is not a readable file");
    }

    @Test
    void knobsALossDoesNotDeclareAreRefused() throws IOException {
        Path in = file("pairs.jsonl", pair(-1, -2, -1.5, -1.5, ""));
        Path out = dir.resolve("out/result.jsonl");
        CliRun gamma = loss(in, out, "--loss", "sigmoid", "--gamma", "0.5");
        assertThat(gamma.exitCode()).isEqualTo(2);
        assertThat(gamma.err().strip()).doesNotContain("\n").contains("--gamma: loss 'sigmoid' has no knob 'gamma'");
        CliRun other = loss(in, out, "--loss", "sigmoid", "--knob", "nonexistent=1");
        assertThat(other.exitCode()).isEqualTo(2);
        assertThat(other.err().strip()).contains("--knob nonexistent: loss 'sigmoid' has no knob 'nonexistent'");
        assertNothingWritten();
    }

    /** For every number, flag or choice knob of every loss: a bad value is refused, naming the knob. */
    @TestFactory
    Stream<DynamicTest> badKnobValuesAreRefusedNamingTheKnob() throws IOException {
        Path in = file("pairs.jsonl", pair(-1, -2, -1.5, -1.5, ""));
        Set<String> ownOptions = Set.of("epsilon", "gamma", "tau", "divergence", "alpha");
        return REGISTRY.providers(PreferenceLoss.POINT).entrySet().stream().flatMap(e -> e.getValue().knobs().stream()
                .filter(k -> k.type() != Knob.Type.TEXT || !k.choices().isEmpty())
                .map(k -> DynamicTest.dynamicTest(e.getKey() + " " + k.name(), () -> {
                    String bad = k.type() == Knob.Type.TEXT ? "no-such-choice" : "abc";
                    String[] option = ownOptions.contains(k.name()) ? new String[] {"--" + k.name(), bad}
                            : new String[] {"--knob", k.name() + "=" + bad};
                    List<String> args = new ArrayList<>(List.of("--loss", e.getKey()));
                    args.addAll(List.of(option));
                    CliRun r = loss(in, dir.resolve("out/result.jsonl"), args.toArray(String[]::new));
                    assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
                    assertThat(r.err().strip()).doesNotContain("\n").contains("knob '" + k.name() + "'");
                    assertNothingWritten();
                })));
    }

    @Test
    void aotSortsTheWholeFileAsOneBatch() throws IOException {
        // β = 1: x = πθ(y_w) − πθ(y_l) = 3, 1, 2 and y = π_ref(y_w) − π_ref(y_l) = 0, 2, −1, so
        // d = sort(x) − sort(y) = [1, 2, 3] − [−1, 0, 2] = [2, 2, 1].
        Path in = file("pairs.jsonl", pair(-1, -4, -2, -2, ""), pair(-3, -4, -1, -3, ""), pair(-2, -4, -3, -2, ""));
        Path out = dir.resolve("result.jsonl");
        CliRun r = loss(in, out, "--loss", "aot", "--beta", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        List<JsonNode> rows = results(out);
        // line k holds the k-th sorted term, −log σ(d_k)
        double[] loss = {Math.log1p(Math.exp(-2)), Math.log1p(Math.exp(-2)), Math.log1p(Math.exp(-1))};
        // pair j's x has rank 3, 1, 2 (d = 1, 2, 2) and its y rank 2, 3, 1 (d = 2, 1, 2)
        double[] dChosen = {-sigma(-1) / 3, -sigma(-2) / 3, -sigma(-2) / 3};
        double[] dBeta = {-sigma(-1), -sigma(-2) / 3 + 2 * sigma(-1) / 3, -sigma(-2)};
        for (int i = 0; i < 3; i++) {
            JsonNode row = rows.get(i);
            assertThat(close(row.get("loss").asDouble(), loss[i])).as("loss " + i + ": " + row).isTrue();
            assertThat(close(row.get("d_policy_chosen_logps").asDouble(), dChosen[i])).as(row.toString()).isTrue();
            assertThat(close(row.get("d_policy_rejected_logps").asDouble(), -dChosen[i])).as(row.toString()).isTrue();
            assertThat(close(row.get("d_beta").asDouble(), dBeta[i])).as(row.toString()).isTrue();
        }
    }

    @Test
    void helpListsEveryLoss() {
        CliRun r = CliRun.of("loss", "--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out().replaceAll("\\s+", " ")).contains(String.join(", ", REGISTRY.providers(PreferenceLoss.POINT).keySet()));
    }

    @Test
    void twoHundredThousandPairsStreamThroughInChunks() throws IOException {
        int n = 200_000;
        Random random = new Random(7);
        double[] h = new double[n];
        double[] beta = new double[n];
        Path in = dir.resolve("big.jsonl");
        try (BufferedWriter w = Files.newBufferedWriter(in)) {
            for (int i = 0; i < n; i++) {
                // eighths keep the text short and the values exact
                double pc = -random.nextInt(400) / 8.0;
                double pr = -random.nextInt(400) / 8.0;
                double rc = -random.nextInt(400) / 8.0;
                double rr = -random.nextInt(400) / 8.0;
                h[i] = (pc - rc) - (pr - rr);
                boolean own = i % 3 == 0;
                beta[i] = own ? (1 + random.nextInt(8)) / 16.0 : 0.1;
                w.write(pair(pc, pr, rc, rr, own ? "\"beta\": " + beta[i] : ""));
                w.newLine();
            }
        }
        Path out = dir.resolve("big-result.jsonl");
        CliRun r = loss(in, out, "--loss", "sigmoid");
        assertThat(r.exitCode()).as(r.err()).isZero();
        double lossSum = 0;
        try (BufferedReader lines = Files.newBufferedReader(out)) {
            for (int i = 0; i < n; i++) {
                JsonNode row = JSON.readTree(lines.readLine());
                String mismatch = sigmoidMismatch(row, h[i], beta[i], n);
                if (mismatch != null) {
                    assertThat(mismatch).as("line " + (i + 1)).isNull();
                }
                lossSum += row.get("loss").asDouble();
            }
            assertThat(lines.readLine()).isNull();
        }
        assertThat(r.err()).startsWith("sigmoid on 200000 pairs:");
        assertThat(metric(r.err().strip(), "loss")).isCloseTo(lossSum / n, within(1e-5 * lossSum / n));
    }

    /**
     * Every registered loss at its defaults, and a weighted sum with an aot term, on more pairs than
     * one chunk: each line must equal the loss and the mean loss's gradient computed on the whole file
     * as one batch. A loss whose pairs depend on each other but that is streamed in chunks fails here.
     */
    @TestFactory
    Stream<DynamicTest> everyLossGivesWholeFileResults() throws IOException {
        int n = LossCalculator.CHUNK + 5;
        Random random = new Random(11);
        double[][] columns = new double[7][n];
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 4; j++) {
                columns[j][i] = -1 - 30 * random.nextDouble();
            }
            columns[4][i] = 1 + random.nextInt(40);
            columns[5][i] = 1 + random.nextInt(40);
            columns[6][i] = 0.05 + 0.5 * random.nextDouble();
            lines.add(pair(columns[0][i], columns[1][i], columns[2][i], columns[3][i], "\"chosen_length\": "
                    + columns[4][i] + ", \"rejected_length\": " + columns[5][i] + ", \"beta\": " + columns[6][i]));
        }
        Path in = file("pairs.jsonl", lines.toArray(String[]::new));
        Stream<Map.Entry<String, Map<String, String>>> cases = Stream.concat(
                REGISTRY.providers(PreferenceLoss.POINT).keySet().stream().map(name -> Map.entry(name, Map.of())),
                Stream.of(Map.entry("weighted", Map.of("terms", "sigmoid, aot"))));
        return cases.map(c -> DynamicTest.dynamicTest(c.getKey() + " " + c.getValue(), () -> {
            String name = c.getKey();
            Path out = dir.resolve(name + ".jsonl");
            List<String> args = new ArrayList<>(List.of("--loss", name));
            c.getValue().forEach((knob, value) -> args.addAll(List.of("--knob", knob + "=" + value)));
            CliRun r = loss(in, out, args.toArray(String[]::new));
            assertThat(r.exitCode()).as(r.err()).isZero();
            double[][] expected = wholeBatch(REGISTRY.create(PreferenceLoss.POINT, name, c.getValue(), null), columns);
            List<JsonNode> rows = results(out);
            assertThat(rows).hasSize(n);
            for (int i = 0; i < n; i++) {
                for (int f = 0; f < OUTPUT.length; f++) {
                    double got = rows.get(i).get(OUTPUT[f]).asDouble();
                    if (!close(got, expected[f][i])) {
                        assertThat(got).as(name + " line " + (i + 1) + " " + OUTPUT[f]).isEqualTo(expected[f][i]);
                    }
                }
            }
        }));
    }

    /** Per-pair losses and the mean loss's gradients in πθ(y_w), πθ(y_l) and β, all pairs in one batch. */
    private static double[][] wholeBatch(PreferenceLoss loss, double[][] columns) {
        int n = columns[0].length;
        Tensor[] t = new Tensor[columns.length];
        for (int j = 0; j < columns.length; j++) {
            t[j] = Tensor.of(DType.FLOAT64, columns[j], n);
        }
        Tensor pc = t[0].asParameter();
        Tensor pr = t[1].asParameter();
        Tensor beta = t[6].asParameter();
        Tensor perPair = loss.perPair(PreferenceBatch.of(pc, pr, t[2], t[3]).lengths(t[4], t[5]).build(), beta);
        perPair.mean().backward();
        return new double[][] {perPair.toDoubleArray(), gradient(pc, n), gradient(pr, n), gradient(beta, n)};
    }

    private static double[] gradient(Tensor leaf, int n) {
        return leaf.grad() == null ? new double[n] : leaf.grad().toDoubleArray();
    }
}
