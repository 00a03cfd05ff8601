package betalab.app;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.training.DirectoryLock;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SweepCommandTest {
    private static final String BASE = """
            base:
              steps: 8
              batch_size: 32
              eval_every: 4
              task: {name: bandit, prompts: 64, prompt_dim: 4, response_dim: 4, candidates: 4, label_noise: 0.2}
              loss: {name: sigmoid}
              beta: {name: fixed, beta: 0.5}
              optimizer: {name: adam, lr: 0.05}
            """;

    private static final String TINY = BASE + """
            methods:
              dpo: {}
              learnable_beta: {beta: {name: policy_mlp, hidden: [4]}}
            seeds: 2
            """;

    private record Run(int exitCode, String out, String err) {
    }

    @TempDir
    Path dir;

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    private Run sweep(String yaml) throws IOException {
        Path config = Files.writeString(dir.resolve("tiny.yaml"), yaml);
        return run("sweep", "--config", config.toString(), "--out", dir.resolve("out").toString(), "--workers", "2");
    }

    @Test
    void runsTheSweepThenResumesIt() throws IOException {
        Run first = sweep(TINY);

        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out()).contains("| method | seeds | eval/true_reward |", "| learnable_beta − dpo | 2 |",
                "4 runs: 4 completed now, 0 already done, 0 failed", "report: " + dir.resolve("out/report.html"));
        // Not a terminal: one line per finished run instead of a bar.
        assertThat(first.err()).contains("4 runs, 0 already done; running 4, 2 at a time", "[4/4] completed ");
        Path out = dir.resolve("out");
        assertThat(Files.readString(out.resolve("sweep.log"))).contains("started dpo__seed=0", "completed dpo__seed=0");
        assertThat(out.resolve("sweep.yaml")).hasContent(TINY);
        assertThat(out.resolve("report.html")).exists();

        Run again = sweep(TINY);
        assertThat(again.exitCode()).isZero();
        assertThat(again.out()).contains("4 runs: 0 completed now, 4 already done, 0 failed");
    }

    /** TR-DPO's hard update with no interval resolves, but its runs fail when they start. */
    @Test
    void aFailedRunMakesTheExitCodeOneAndIsListed() throws IOException {
        Run r = sweep(TINY + "grid: {reference_sync: [{mode: none}, {mode: hard}]}\n");

        assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
        assertThat(r.out()).contains("8 runs: 4 completed now, 0 already done, 4 failed",
                "failed dpo__reference_sync=hard__seed=0: field 'reference_sync.every' must be ≥ 1 when mode is hard");
        assertThat(r.err()).contains("FAILED dpo__reference_sync=hard__seed=0");
    }

    /**
     * Every mistake a sweep file can hold — in a method, a grid path, a knob value, a metric, x, the
     * name — is one line naming the file and the method, run or field, before anything is written:
     * no sweep.log, no sweep.yaml, no directory.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "methods: {dpo: {}, lb: {beta: {name: policy_mpl}}}|run lb__seed=0: field 'beta.name' names unknown beta "
                    + "'policy_mpl'",
            "methods: {dpo: {}, c: {loss: {name: cdpo, epsilon: 0.9}}}|run c__seed=0: field 'loss.epsilon' must be ",
            "grid: {task.prompt: [8]}|run prompt=8__seed=0: field 'task.prompt' is not a knob of task 'bandit'; "
                    + "known: prompts, prompt_dim",
            "grid: {steps.every: [8]}|cannot set 'steps.every': 'steps' is not a section",
            "grid: {loss: [{name: sigmoid}, {name: robust, epsilon: 0.7}]}|run loss=robust-0.7__seed=0: field "
                    + "'loss.epsilon' must be ",
            "metrics: [eval/true_rewrd]|field 'metrics': 'eval/true_rewrd' is not a metric these runs record; known: ",
            "grid: {task.label_noise: [0.1]}\\nx: task.label_nois|field 'x': 'task.label_nois' is not a swept field",
            "name: ../../escape|field 'name': '../../escape' is not a folder name",
    })
    void aBadSweepIsOneLineAndWritesNothing(String extra, String message) throws IOException {
        Run r = sweep(BASE + extra.replace("\\n", "\n") + "\n");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("betalab sweep: error: " + dir.resolve("tiny.yaml") + ": " + message)
                .doesNotContain("\n");
        assertThat(r.out()).isEmpty();
        assertThat(dir.resolve("out")).doesNotExist();
    }

    /** Files and times of everything under {@code root}. */
    private static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.toList()) {
                files.put(root.relativize(p).toString(), Files.isDirectory(p) ? "dir"
                        : Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis());
            }
        }
        return files;
    }

    @Test
    void aDirectoryHoldingADifferentSweepIsRefusedUnlessForced() throws IOException {
        assertThat(sweep(TINY).exitCode()).isZero();
        Path out = dir.resolve("out");
        Map<String, String> before = snapshot(out);
        String other = TINY.replace("seeds: 2", "seeds: 3");

        Run refused = sweep(other);

        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.err().strip()).isEqualTo("betalab sweep: error: " + out + " holds a different sweep (its "
                + "sweep-resolved.json differs in seeds); choose another --out, or add --force to run this sweep "
                + "there (runs whose config changed are run again)");
        assertThat(snapshot(out)).isEqualTo(before);

        Run forced = run("sweep", "--config", dir.resolve("tiny.yaml").toString(), "--out", out.toString(),
                "--workers", "2", "--force");
        assertThat(forced.exitCode()).as(forced.err()).isZero();
        assertThat(forced.out()).contains("6 runs: 2 completed now, 4 already done, 0 failed");
        assertThat(out.resolve("sweep.yaml")).hasContent(other);
        // The record is this sweep's now: the same command resumes without --force.
        assertThat(sweep(other).out()).contains("6 runs: 0 completed now, 6 already done, 0 failed");
    }

    @Test
    void forceIsDocumented() {
        Run help = run("sweep", "--help");
        assertThat(help.out().replaceAll("\\s+", " ")).contains("--force run even when the sweep directory holds a "
                + "different sweep");
    }

    /** A second sweep on a directory another process holds fails at once, naming it, and touches nothing. */
    @Test
    void aSecondSweepOnALiveDirectoryFailsNamingTheOwner() throws IOException {
        Path out = dir.resolve("out");
        assertThat(sweep(TINY).exitCode()).isZero();
        Map<String, String> before;
        Map<String, String> after;
        Run second;
        try (DirectoryLock first = DirectoryLock.acquire(out)) {
            before = snapshot(out);
            second = sweep(TINY);
            after = snapshot(out);
        }

        assertThat(second.exitCode()).isEqualTo(1);
        assertThat(second.err().strip()).startsWith("betalab sweep: error: " + out + " is in use by another betalab "
                + "process (pid " + ProcessHandle.current().pid() + ", since ").doesNotContain("\n");
        assertThat(second.out()).isEmpty();
        assertThat(after).isEqualTo(before);
    }

    /** The lock goes with the sweep, whether its runs fail or the sweep itself does. */
    @Test
    void theLockIsReleasedAtTheEndAlsoOnFailure() throws IOException {
        Path out = dir.resolve("out");
        Run failedRuns = sweep(TINY + "grid: {reference_sync: [{mode: hard}]}\n");
        assertThat(failedRuns.exitCode()).as(failedRuns.err()).isEqualTo(1);
        DirectoryLock.acquire(out).close();

        // The log cannot be opened: the sweep fails after taking the directory.
        Files.delete(out.resolve(SweepCommand.LOG));
        Files.createDirectory(out.resolve(SweepCommand.LOG));
        Run failed = sweep(TINY + "grid: {reference_sync: [{mode: hard}]}\n");
        assertThat(failed.exitCode()).isEqualTo(1);
        assertThat(failed.err()).contains(SweepCommand.LOG);
        DirectoryLock.acquire(out).close();
    }

    @Test
    void workersMustBePositive() throws IOException {
        Run r = run("sweep", "--config", Files.writeString(dir.resolve("s.yaml"), TINY).toString(), "--workers", "0");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("betalab sweep: --workers must be ≥ 1, got 0");
    }

    /** Engine settings belong to their engine; an engine that is not there is named, and nothing is written. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--master|local[2]|2|betalab sweep: --master is a setting of another engine than pool; add --engine spark",
        "--conf|spark.task.cpus=2|2|betalab sweep: --conf is a setting of another engine than pool; add --engine spark",
        "--engine|nope|2|betalab sweep: error: no sweep engine 'nope' (known: pool)",
    })
    void engineOptionsAreChecked(String option, String value, int code, String message) throws IOException {
        Path config = Files.writeString(dir.resolve("s.yaml"), TINY);
        Run r = run("sweep", "--config", config.toString(), "--out", dir.resolve("out").toString(), option, value);
        assertThat(r.exitCode()).isEqualTo(code);
        assertThat(r.err().strip()).isEqualTo(message);
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void workersAreThePoolsOnly() throws IOException {
        Path config = Files.writeString(dir.resolve("s.yaml"), TINY);
        Run r = run("sweep", "--config", config.toString(), "--engine", "spark", "--workers", "2");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("betalab sweep: --workers is the pool engine's; the spark engine runs");
    }
}
