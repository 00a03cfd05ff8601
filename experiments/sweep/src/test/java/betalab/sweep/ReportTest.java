package betalab.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @TempDir
    Path dir;

    private Report.Written sweep(String yaml) throws IOException {
        SweepConfig c = SweepConfig.read(Files.writeString(dir.resolve("sweep.yaml"), yaml));
        Path out = dir.resolve("out");
        new Sweep(SweepTest.REGISTRY, c, out).run(2, SweepTest.SILENT);
        return Report.write(c, out);
    }

    @Test
    void aTrainSweepWritesEveryTablePlotAndTheReport() throws IOException {
        Report.Written written = sweep(SweepTest.TINY + """
                methods:
                  dpo: {}
                  learnable_beta: {beta: {name: policy_mlp, hidden: [4]}}
                  broken: %s
                grid:
                  task.label_noise: [0.0, 0.3]
                seeds: 2
                """.formatted(SweepTest.BROKEN));
        Path out = dir.resolve("out");

        List<String> metrics = List.of("eval_true_reward", "eval_kl_ref", "eval_pref_accuracy", "eval_win_rate_vs_ref");
        List<String> expected = new ArrayList<>();
        for (String panel : List.of("label_noise=0.0", "label_noise=0.3")) {
            expected.addAll(List.of("plots/curves_eval_true_reward__" + panel + ".png",
                    "plots/beta_trajectories__" + panel + ".png", "plots/reward_kl_frontier__" + panel + ".png",
                    "plots/beta_vs_margin__" + panel + ".png"));
        }
        expected.add("plots/reward_vs_kl.png");
        metrics.forEach(m -> expected.add("plots/" + m + "_vs_task.label_noise.png"));
        assertThat(written.plots()).containsExactlyInAnyOrderElementsOf(expected);
        written.plots().forEach(p -> assertValidPng(out.resolve(p)));

        assertThat(Files.readAllLines(out.resolve("results.csv"))).hasSize(1 + 12).first().asString()
                .startsWith("id,status,method,task.label_noise,seed,final/step,")
                .contains(",final/eval/true_reward,", ",best/eval/true_reward,").endsWith(",error,dir");
        assertThat(Files.readString(out.resolve("aggregate.md")).lines()).hasSize(2 + 6);
        assertThat(Files.readString(out.resolve("paired.md")))
                .contains("| learnable_beta − dpo | 0.0 | 2 |", "| learnable_beta − dpo | 0.3 | 2 |");
        assertThat(Files.readString(out.resolve("results.json"))).contains("\"status\" : \"failed\"");
        assertReportLinksOnlyExistingFiles(out, 12 + written.plots().size());
    }

    @Test
    void aSeedSweepPlotsItsLossAndBetaAgainstMargin() throws IOException {
        Report.Written written = sweep("kind: seed\nbase: {epochs: 20}\nseeds: 3\n");
        Path out = dir.resolve("out");

        assertThat(written.plots()).containsExactly("plots/curves_loss.png", "plots/beta_vs_margin.png");
        written.plots().forEach(p -> assertValidPng(out.resolve(p)));
        assertThat(written.aggregate()).startsWith("| seeds | mean_beta_pos | mean_beta_neg | mean_beta_gap | loss |")
                .contains("| 3 | ");
        assertThat(written.paired()).isEmpty();
        assertReportLinksOnlyExistingFiles(out, 3 + 2);
    }

    /** A run's last evaluation samples (as a language-model task writes them) are shown, escaped, and only the last. */
    @Test
    void theReportShowsEachRunsLastSamples() throws IOException {
        sweep(SweepTest.TINY + "seeds: 1\n");
        Path out = dir.resolve("out");
        SweepConfig c = SweepConfig.read(dir.resolve("sweep.yaml"));
        assertThat(Files.readString(out.resolve(Report.HTML))).doesNotContain("<h2>Samples</h2>");

        String run = c.runs().get(0).id();
        Path samples = Files.createDirectories(out.resolve(Sweep.RUNS).resolve(run)
                .resolve(betalab.training.PreferenceTraining.SAMPLES));
        Files.writeString(samples.resolve("step-000002.json"), "[{\"prompt\": \"early\", \"reward\": 1.0}]");
        Files.writeString(samples.resolve("step-000010.json"),
                "[{\"prompt\": \"a <b> & c\", \"completion\": \"later\", \"reward\": 2.5}]");
        Report.write(c, out);

        String html = Files.readString(out.resolve(Report.HTML));
        assertThat(html).contains("<h2>Samples</h2>", run + ", step 10", "<th>prompt</th><th>completion</th>"
                + "<th>reward</th>", "<td>a &lt;b&gt; &amp; c</td><td>later</td><td>2.5")
                .doesNotContain("early");
    }

    private static void assertValidPng(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            assertThat(bytes.length).as(file.toString()).isGreaterThan(1000);
            assertThat(Arrays.copyOf(bytes, 8)).as(file.toString()).isEqualTo(PNG_SIGNATURE);
            BufferedImage image = ImageIO.read(file.toFile());
            assertThat(image).as(file.toString()).isNotNull();
            assertThat(image.getWidth()).isEqualTo(960);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Every href and src is a relative path to something in the sweep directory: it opens from disk, offline. */
    private static void assertReportLinksOnlyExistingFiles(Path out, int atLeast) throws IOException {
        String html = Files.readString(out.resolve(Report.HTML));
        Matcher m = Pattern.compile("(?:href|src)=\"([^\"]*)\"").matcher(html);
        int links = 0;
        while (m.find()) {
            String target = m.group(1).replace("&amp;", "&");
            assertThat(target).doesNotContain("://").doesNotStartWith("/");
            assertThat(out.resolve(target)).as(target).exists();
            links++;
        }
        assertThat(links).isGreaterThanOrEqualTo(atLeast);
        assertThat(html).contains("<img src=\"plots/");
    }
}
