package betalab.app;

import betalab.api.registry.Extensions;
import betalab.api.tensor.Backends;
import betalab.training.RunDirectory;
import java.io.File;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** How the commands that write a run directory name it and show its progress and outcome. */
final class RunOutput {
    private RunOutput() {
    }

    /** runs/&lt;config name&gt;-&lt;time&gt;: a new directory per run, named after what it ran. */
    static Path defaultDirectory(Path config) {
        String name = config.getFileName().toString().replaceFirst("\\.(ya?ml|json)$", "");
        return Path.of("runs", name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }

    /**
     * Where a new run goes: {@code out}, refused now if it exists, or else a directory of its own
     * under runs/ named after the config, made atomically once the run is built (never shared,
     * never left empty).
     */
    static java.util.function.Supplier<Path> newRunDirectory(Path out, Path config) {
        if (out != null) {
            betalab.training.RunDirectory.refuseExisting(out);
            return () -> out;
        }
        Path base = defaultDirectory(config);
        return () -> betalab.training.RunDirectory.unique(base.getParent(), base.getFileName().toString());
    }

    /**
     * Before a resume: the run continues on the backend and with the plugin jars it was started
     * with, from its own record. {@code out} and a {@code backend} other than the recorded one are
     * refused with one line; a plugin path given besides is kept (the run's record then decides).
     */
    static void restoreSetUp(CommandSpec spec, Path dir, Path out, String backend) {
        if (out != null) {
            throw new ParameterException(spec.commandLine(), "--out: a resumed run stays in its own directory " + dir);
        }
        if (!Files.exists(dir.resolve(RunDirectory.PROVENANCE))) {
            throw new ParameterException(spec.commandLine(), "--resume: " + dir + " holds no run (no "
                    + RunDirectory.PROVENANCE + ")");
        }
        String recorded = RunDirectory.recordedBackend(dir);
        if (backend != null && !backend.equals(recorded)) {
            throw new ParameterException(spec.commandLine(), "--backend " + backend + ": the run in " + dir
                    + " was started on '" + recorded + "'; leave --backend out to resume it there");
        }
        Backends.use(Backends.named(recorded));
        List<String> jars = new ArrayList<>();
        String current = System.getProperty(Extensions.PLUGINS_PROPERTY, "");
        if (!current.isBlank()) {
            jars.add(current);
        }
        RunDirectory.recordedPlugins(dir).forEach(jar -> jars.add(jar.toString()));
        // Main restores the property once the command ends.
        System.setProperty(Extensions.PLUGINS_PROPERTY, String.join(File.pathSeparator, jars));
    }

    /** One progress line: the prefix, then each of {@code shown} that the row holds as a finite number. */
    static String line(String prefix, Map<String, Object> row, List<String> shown) {
        StringBuilder b = new StringBuilder(prefix);
        for (String key : shown) {
            Object v = row.get(key);
            if (v instanceof Double d && Double.isFinite(d)) {
                b.append("  ").append(key).append(' ').append(format(v));
            }
        }
        return b.toString();
    }

    /** The outcome: status, steps, where, and the last row's values. */
    static void printSummary(PrintWriter out, RunDirectory.Summary summary) {
        out.println();
        out.printf(Locale.ROOT, "%s after %d steps: %s%n", summary.status(), summary.steps(), summary.path());
        summary.last().forEach((k, v) -> out.printf(Locale.ROOT, "  %-24s %s%n", k, format(v)));
        out.flush();
    }

    static String format(Object v) {
        return v instanceof Double d ? String.format(Locale.ROOT, "%.4f", d) : String.valueOf(v);
    }
}
