package betalab.app;

import betalab.api.registry.Extensions;
import java.io.File;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** Entry point of the {@code betalab} command. */
@Command(name = "betalab", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Preference optimisation with fixed and learnable β.",
        subcommands = {SeedCommand.class, TrainCommand.class, SweepCommand.class, LossCommand.class,
                ListCommand.class, FitBetaCommand.class, LogpsCommand.class, SftCommand.class})
public final class Main implements Runnable {

    @Option(names = "--plugin-path", paramLabel = "DIR_OR_JAR", scope = ScopeType.INHERIT,
            description = "load extensions from this plugin jar, or every jar in this directory, besides the "
                    + "launcher's plugins/ directory; may be repeated")
    private List<Path> pluginPath = new ArrayList<>();

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code: 0 ok, 1 failed, 2 bad usage. */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true, StandardCharsets.UTF_8),
                new PrintWriter(System.err, true, StandardCharsets.UTF_8), args);
    }

    /** As {@link #run(String...)}, writing results to {@code out} and errors to {@code err}. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        Main main = new Main();
        CommandLine cli = new CommandLine(main).setOut(out).setErr(err);
        versionEverywhere(cli);
        cli.setExecutionStrategy(parseResult -> {
            try {
                return main.withPlugins(() -> new CommandLine.RunLast().execute(parseResult));
            } catch (OutOfMemoryError e) {
                // What held the memory is unreachable once the command has unwound, so this can be printed.
                List<CommandLine> commands = parseResult.asCommandLineList();
                CommandLine last = commands.get(commands.size() - 1);
                last.getErr().println(last.getCommandSpec().qualifiedName() + ": error: " + outOfMemory(e));
                last.getErr().flush();
                return CommandLine.ExitCode.SOFTWARE;
            }
        });
        cli.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println(e.getCommandLine().getCommandSpec().qualifiedName() + ": "
                    + e.getMessage());
            e.getCommandLine().getErr().flush();
            return CommandLine.ExitCode.USAGE;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": error: " + e.getMessage());
            commandLine.getErr().flush();
            return e instanceof IllegalArgumentException ? CommandLine.ExitCode.USAGE : CommandLine.ExitCode.SOFTWARE;
        });
        return cli.execute(args);
    }

    /** -V/--version on every subcommand too: picocli gives a subcommand the option, not the version. */
    private static void versionEverywhere(CommandLine cli) {
        for (CommandLine sub : cli.getSubcommands().values()) {
            if (sub.getCommandSpec().versionProvider() == null && sub.getCommandSpec().version().length == 0) {
                sub.getCommandSpec().versionProvider(new Version());
            }
            versionEverywhere(sub);
        }
    }

    /** One line: the JVM ran out of memory, its heap limit, and how to give it more. */
    static String outOfMemory(OutOfMemoryError e) {
        long limit = Runtime.getRuntime().maxMemory() >> 20;
        String what = e.getMessage() == null ? "" : e.getMessage() + ", ";
        return "the JVM ran out of memory (" + what + "heap limit " + limit + " MB); give it more with "
                + "BETALAB_JAVA_OPTS=-Xmx" + Math.max(2, 2 * ((limit + 1023) >> 10)) + "g (any size the machine has), "
                + "or make the run smaller";
    }

    /**
     * Runs {@code command} with --plugin-path added to the plugins every registry discovers (the
     * system property the launcher sets), and the property as it was afterwards.
     */
    private int withPlugins(IntSupplier command) {
        String before = System.getProperty(Extensions.PLUGINS_PROPERTY);
        if (!pluginPath.isEmpty()) {
            System.setProperty(Extensions.PLUGINS_PROPERTY, Stream.concat(Stream.ofNullable(before),
                    pluginPath.stream().map(Path::toString)).collect(Collectors.joining(File.pathSeparator)));
        }
        // Restored even without --plugin-path: a resume adds the plugins its run was started with.
        try {
            return command.getAsInt();
        } finally {
            if (before == null) {
                System.clearProperty(Extensions.PLUGINS_PROPERTY);
            } else {
                System.setProperty(Extensions.PLUGINS_PROPERTY, before);
            }
        }
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
