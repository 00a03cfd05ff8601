package betalab.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher script, run from a copy of the tree with a built app (empty stand-ins, newer than any
 * source) and with stand-ins for java and git on the PATH: what it passes to java.
 */
class LauncherTest {
    /** The repository's launcher, from the app module's folder (where tests run). */
    private static final Path LAUNCHER = Path.of("../betalab");

    @TempDir
    Path tree;

    /** The java stand-in's arguments, one a line, when the launcher runs {@code list} with this environment. */
    private List<String> javaArguments(Map<String, String> environment, String gitStatus) throws Exception {
        Path here = Files.createTempDirectory(tree, "launch");
        Path root = Files.createDirectories(here.resolve("betalab"));
        Files.copy(LAUNCHER, root.resolve("betalab"));
        Files.createDirectories(root.resolve("app/target"));
        Files.createDirectories(root.resolve("tensor-nd4j/target"));
        Files.createFile(root.resolve("app/target/betalab-app.jar"));
        Files.createFile(root.resolve("tensor-nd4j/target/betalab-tensor-nd4j.jar"));
        Path bin = Files.createDirectories(here.resolve("bin"));
        Path arguments = here.resolve("arguments.txt");
        executable(bin.resolve("java"), "printf '%s\\n' \"$@\" > '" + arguments + "'\n");
        executable(bin.resolve("git"), "case \"$*\" in *rev-parse*) echo 0123abc;; *status*) printf '"
                + gitStatus + "';; esac\n");
        ProcessBuilder launch = new ProcessBuilder("bash", root.resolve("betalab").toString(), "list")
                .redirectErrorStream(true);
        launch.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        launch.environment().remove("BETALAB_JAVA_OPTS");
        launch.environment().putAll(environment);
        Process p = launch.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        return Files.readAllLines(arguments);
    }

    private static void executable(Path file, String body) throws IOException {
        Files.writeString(file, "#!/usr/bin/env bash\n" + body);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void passesBetalabJavaOptsToJavaBeforeTheMainModule() throws Exception {
        List<String> args = javaArguments(Map.of("BETALAB_JAVA_OPTS", "-Xmx8g  -Dexample=a"), "");

        assertThat(args).contains("-Xmx8g", "-Dexample=a", "-Dbetalab.commit=0123abc");
        assertThat(args.indexOf("-Xmx8g")).isLessThan(args.indexOf("-m"));
        assertThat(args.subList(args.indexOf("-m"), args.size())).containsExactly("-m", "betalab.app/betalab.app.Main",
                "list");
    }

    @Test
    void withoutBetalabJavaOptsJavaGetsNoExtraOptions() throws Exception {
        List<String> args = javaArguments(Map.of(), "");

        assertThat(args).noneMatch(a -> a.startsWith("-Xmx") || a.isEmpty());
        assertThat(args.get(0)).isEqualTo("--add-modules");
    }

    /** Whether the source tree had uncommitted changes goes into provenance. */
    @Test
    void tellsJavaWhetherTheSourceTreeIsDirty() throws Exception {
        assertThat(javaArguments(Map.of(), "")).contains("-Dbetalab.dirty=false");
        assertThat(javaArguments(Map.of(), " M api/pom.xml\\n")).contains("-Dbetalab.dirty=true");
    }
}
