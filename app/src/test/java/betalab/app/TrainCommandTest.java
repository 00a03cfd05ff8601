package betalab.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {
    private static final String CONFIG = """
            steps: 12
            batch_size: 32
            eval_every: 6
            checkpoint_every: 5
            environment: {prompts: 128, prompt_dim: 4, response_dim: 4, candidates: 4, label_noise: 0.2}
            loss: {name: cdpo, epsilon: 0.1}
            beta: {name: policy_mlp, hidden: [8]}
            optimizer: {name: adam, lr: 0.02}
            """;



    @Test
    void trainsResumesAndReports(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("small.yaml"), CONFIG);
        CliRun r = CliRun.of("train", "--config", config.toString(), "--out", dir.resolve("run").toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("step     0", "step     6", "step    12", "completed after 12 steps",
                "eval/true_reward", "eval/beta_flipped");
        for (String file : new String[] {"config.json", "provenance.json", "metrics.csv", "metrics.jsonl",
                "summary.json", "checkpoint.json"}) {
            assertThat(dir.resolve("run").resolve(file)).isNotEmptyFile();
        }
        CliRun again = CliRun.of("train", "--resume", dir.resolve("run").toString());
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(again.out()).contains("completed after 12 steps");
    }

    @Test
    void aBadConfigIsOneLineAndExitCodeTwo(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("bad.yaml"), CONFIG.replace("batch_size: 32", "batch_size: -1"));
        CliRun r = CliRun.of("train", "--config", config.toString(), "--out", dir.resolve("run").toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).contains("bad.yaml", "batch_size must be ≥ 1, got -1").doesNotContain("\n");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @Test
    void configAndResumeAreExclusive(@TempDir Path dir) {
        CliRun r = CliRun.of("train", "--config", "a.yaml", "--resume", dir.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("mutually exclusive");
    }
}
