package betalab.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepCommandTest {
    private static final String TINY = """
            base:
              steps: 8
              batch_size: 32
              eval_every: 4
              task: {name: bandit, prompts: 64, prompt_dim: 4, response_dim: 4, candidates: 4, label_noise: 0.2}
              loss: {name: sigmoid}
              beta: {name: fixed, beta: 0.5}
              optimizer: {name: adam, lr: 0.05}
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

    @Test
    void aBadConfigIsOneLineAndRunsNothing() throws IOException {
        Run r = sweep(TINY + "grid: {task.prompt: [8]}\n");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("betalab sweep: error: run dpo__prompt=8__seed=0: field "
                + "'task.prompt' is not a knob of task 'bandit'; known: prompts, prompt_dim").doesNotContain("\n");
        assertThat(dir.resolve("out/runs")).doesNotExist();
    }

    /** A knob value out of range is a bad config too: caught before any run starts. */
    @Test
    void aBadKnobValueIsOneLineAndRunsNothing() throws IOException {
        Run r = sweep(TINY + "grid: {loss: [{name: sigmoid}, {name: robust, epsilon: 0.7}]}\n");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("betalab sweep: error: run dpo__loss=robust-0.7__seed=0: field "
                + "'loss.epsilon' must be ").doesNotContain("\n");
        assertThat(dir.resolve("out/runs")).doesNotExist();
    }

    @Test
    void workersMustBePositive() throws IOException {
        Run r = run("sweep", "--config", Files.writeString(dir.resolve("s.yaml"), TINY).toString(), "--workers", "0");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("betalab sweep: --workers must be ≥ 1, got 0");
    }
}
