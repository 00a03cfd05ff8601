package betalab.app;

import betalab.api.registry.Registry;
import betalab.api.tensor.Backends;
import betalab.experiments.fit.BetaFitter;
import betalab.experiments.fit.FitConfig;
import betalab.experiments.fit.FitConfigReader;
import betalab.experiments.train.RunDirectory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code betalab fit-beta}: a β scheme fitted offline on precomputed log-probabilities and prompt features. */
@Command(name = "fit-beta", mixinStandardHelpOptions = true,
        description = "Fit a β scheme on a file of preference pairs with precomputed log-probabilities (and prompt "
                + "features), with any loss of the catalogue and a held-out validation split; writes a run "
                + "directory with the resolved config, metrics, summary, provenance and the fitted β.")
final class FitBetaCommand implements Callable<Integer> {

    /** The columns printed after each epoch, in this order, where present. */
    private static final List<String> SHOWN = List.of("loss", "eval/loss", "eval/rewards/margins", "eval/beta/mean",
            "eval/beta/mean_h_pos", "eval/beta/mean_h_neg", "beta/mean");

    @Spec
    private CommandSpec spec;

    @Option(names = "--config", required = true, description = "the fit's config, YAML or JSON (see examples/fit-beta.yaml)")
    private Path config;

    @Option(names = "--out", description = "run directory (default: runs/<config name>-<time>)")
    private Path out;

    @Option(names = "--backend", description = "tensor backend by name (default: the highest-priority one)")
    private String backend;

    @Override
    public Integer call() {
        if (backend != null) {
            Backends.use(Backends.named(backend));
        }
        FitConfig fit = FitConfigReader.read(config);
        PrintWriter stdout = spec.commandLine().getOut();
        BetaFitter fitter = new BetaFitter(Registry.discover(), row -> {
            stdout.println(line(row));
            stdout.flush();
        });
        RunDirectory.Summary summary = fitter.fit(fit, out != null ? out : defaultDirectory(config));
        stdout.println();
        stdout.printf(Locale.ROOT, "%s after %d steps: %s%n", summary.status(), summary.steps(), summary.path());
        summary.last().forEach((k, v) -> stdout.printf(Locale.ROOT, "  %-24s %s%n", k, format(v)));
        stdout.flush();
        return 0;
    }

    private static Path defaultDirectory(Path config) {
        String name = config.getFileName().toString().replaceFirst("\\.(ya?ml|json)$", "");
        return Path.of("runs", name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }

    private static String line(Map<String, Object> row) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "epoch %3s  step %6s", row.get("epoch"),
                row.get("step")));
        for (String key : SHOWN) {
            if (row.get(key) instanceof Double d) {
                b.append(String.format(Locale.ROOT, "  %s %.4f", key, d));
            }
        }
        return b.toString();
    }

    private static String format(Object v) {
        return v instanceof Double d ? String.format(Locale.ROOT, "%.4f", d) : String.valueOf(v);
    }
}
