package betalab.app;

import betalab.api.registry.Registry;
import betalab.api.tensor.Backends;
import betalab.data.fit.BetaFitter;
import betalab.training.RunDirectory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
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
        Registry registry = Registry.discover();
        PrintWriter stdout = spec.commandLine().getOut();
        RunDirectory.Summary summary = BetaFitter.fit(registry, BetaFitter.read(config, registry),
                out != null ? out : RunOutput.defaultDirectory(config), row -> {
                    String at = String.format(Locale.ROOT, "epoch %3s  step %6s", row.get("epoch"), row.get("step"));
                    stdout.println(RunOutput.line(at, row, SHOWN));
                    stdout.flush();
                });
        RunOutput.printSummary(stdout, summary);
        return 0;
    }
}
