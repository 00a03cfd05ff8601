package betalab.app;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ListCommandTest {

    /** Every extension point has its section: tasks too, with the bandit and its knobs. */
    @Test
    void listsEveryExtensionPointWithTheTasks() {
        CliRun r = CliRun.of("list");

        assertThat(r.exitCode()).as(r.err()).isZero();
        String out = r.out();
        assertThat(out).contains("Losses:", "β schemes (each also takes detach, beta_penalty, beta_target):",
                "Policies:", "Optimizers:", "Tasks:");
        String tasks = out.substring(out.indexOf("Tasks:"), out.indexOf("Extensions loaded:"));
        assertThat(out).containsPattern("\\n  use_weighting +WPO: [^\\n]*Zhou et al. 2024")
                .contains("Train config fields");
        assertThat(tasks).containsPattern("\\n  bandit +synthetic contextual bandit")
                .contains("label_noise");
        assertThat(out.indexOf("Losses:")).isLessThan(out.indexOf("β schemes")).isLessThan(out.indexOf("Tasks:"));
    }

    @Test
    void markdownHasATableForTheTasks() {
        CliRun r = CliRun.of("list", "--markdown");

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("**Tasks**").containsPattern("\\| `bandit` \\| synthetic contextual bandit[^\\n]*"
                + "`label_noise` \\(0\\.0");
    }
}
