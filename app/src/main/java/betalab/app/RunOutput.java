package betalab.app;

import betalab.training.RunDirectory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** How the commands that write a run directory name it and show its progress and outcome. */
final class RunOutput {
    private RunOutput() {
    }

    /** runs/&lt;config name&gt;-&lt;time&gt;: a new directory per run, named after what it ran. */
    static Path defaultDirectory(Path config) {
        String name = config.getFileName().toString().replaceFirst("\\.(ya?ml|json)$", "");
        return Path.of("runs", name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
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
