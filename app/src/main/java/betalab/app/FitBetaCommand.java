package betalab.app;

import betalab.api.registry.Registry;
import betalab.api.tensor.Backends;
import betalab.data.fit.BetaFitter;
import betalab.training.Config;
import betalab.training.RunDirectory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code betalab fit-beta}: a β scheme fitted offline on precomputed log-probabilities and prompt features. */
@Command(name = "fit-beta", mixinStandardHelpOptions = true,
        description = "Fit a β scheme on a file of preference pairs with precomputed log-probabilities (and prompt "
                + "features), with any loss of the catalogue and a held-out validation split; writes a run "
                + "directory with the resolved config, metrics, summary, provenance, a checkpoint at each epoch's "
                + "end and, once done, the fitted β (beta.json, for `betalab loss --beta-from`).")
final class FitBetaCommand implements Callable<Integer> {

    /** The columns printed after each epoch, in this order, where present. */
    private static final List<String> SHOWN = List.of("loss", "eval/loss", "eval/rewards/margins", "eval/beta/mean",
            "eval/beta/mean_h_pos", "eval/beta/mean_h_neg", "beta/mean");

    @Spec
    private CommandSpec spec;

    @ArgGroup(multiplicity = "1")
    private Source source;

    static final class Source {
        @Option(names = "--config", description = "the fit's config, YAML or JSON (see examples/fit-beta.yaml)")
        Path config;

        @Option(names = "--resume", paramLabel = "RUN_DIR",
                description = "continue the fit in this directory from the end of its last completed epoch")
        Path resume;
    }

    @Option(names = "--out", description = "run directory for a new fit (default: runs/<config name>-<time>)")
    private Path out;

    @Option(names = "--backend", description = "tensor backend by name (default: the highest-priority one; "
            + "a resumed fit keeps its own)")
    private String backend;

    @Override
    public Integer call() {
        if (source.resume != null) {
            RunOutput.restoreSetUp(spec, source.resume, out, backend);
        } else if (backend != null) {
            Backends.use(Backends.named(backend));
        }
        Registry registry = Registry.discover();
        PrintWriter stdout = spec.commandLine().getOut();
        Consumer<Map<String, Object>> report = row -> {
            String at = String.format(Locale.ROOT, "epoch %3s  step %6s", row.get("epoch"), row.get("step"));
            stdout.println(RunOutput.line(at, row, SHOWN));
            stdout.flush();
        };
        RunDirectory.Summary summary;
        if (source.resume != null) {
            summary = BetaFitter.resume(registry, source.resume, report);
        } else {
            Config config = BetaFitter.read(source.config, registry);
            summary = BetaFitter.fit(registry, config, RunOutput.newRunDirectory(out, source.config), Integer.MAX_VALUE,
                    report);
        }
        RunOutput.printSummary(stdout, summary);
        return 0;
    }
}
