package betalab.app;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.training.Provenance;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;

/** What every command shares: its version, and the one line an exhausted heap ends with. */
class MainTest {

    /** -V and --version on every subcommand print the version (picocli gives subcommands the option, not the text). */
    @TestFactory
    Stream<DynamicTest> everyCommandPrintsTheVersion() {
        List<String> commands = new java.util.ArrayList<>(List.of(""));
        commands.addAll(new CommandLine(new Main()).getSubcommands().keySet());
        assertThat(commands).contains("seed", "train", "sweep", "loss", "list", "fit-beta");
        return commands.stream().flatMap(command -> Stream.of("-V", "--version").map(option ->
                DynamicTest.dynamicTest((command + " " + option).strip(), () -> {
                    CliRun r = command.isEmpty() ? CliRun.of(option) : CliRun.of(command, option);
                    assertThat(r.exitCode()).as(r.err()).isZero();
                    assertThat(r.out().strip()).isEqualTo("betalab " + Provenance.version());
                })));
    }

    /**
     * A run too large for the heap ends with one line saying so and how to give the JVM more, exit 1,
     * not a stack trace. An array of 2³¹ − 1 doubles exceeds the JVM's limit whatever the heap, at once.
     */
    @Test
    void runningOutOfMemoryIsOneLineSayingHowToGiveTheJvmMore() {
        CliRun r = CliRun.of("seed", "--samples", String.valueOf(Integer.MAX_VALUE), "--dim", "1", "--epochs", "1");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err().strip()).doesNotContain("\n")
                .startsWith("betalab seed: error: the JVM ran out of memory (")
                .containsPattern("heap limit \\d+ MB\\); give it more with BETALAB_JAVA_OPTS=-Xmx\\d+g ");
    }
}
