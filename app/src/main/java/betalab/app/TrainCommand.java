package betalab.app;

import betalab.api.registry.Registry;
import betalab.api.tensor.Backends;
import betalab.data.fit.FittedBeta;
import betalab.training.Config;
import betalab.training.ConfigTree;
import betalab.training.PreferenceTraining;
import betalab.training.RunDirectory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code betalab train}: a policy trained by a preference loss on a task (the synthetic bandit by default). */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a policy (and its β scheme) with a preference loss on a task; "
                + "writes a run directory with the resolved config, metrics, summary, provenance and checkpoint.")
final class TrainCommand implements Callable<Integer> {

    /** The columns printed as training goes, in this order, where present. */
    private static final List<String> SHOWN = List.of("loss", "eval/true_reward", "eval/kl_ref",
            "eval/pref_accuracy", "eval/win_rate_vs_ref", "beta/mean", "eval/beta_clean", "eval/beta_flipped");

    @Spec
    private CommandSpec spec;

    @ArgGroup(multiplicity = "1")
    private Source source;

    static final class Source {
        @Option(names = "--config", description = "the run's config, YAML or JSON (see examples/)")
        Path config;

        @Option(names = "--resume", description = "continue the run in this directory from its latest checkpoint")
        Path resume;
    }

    @Option(names = "--out", description = "run directory for a new run (default: runs/<config name>-<time>)")
    private Path out;

    @Option(names = "--beta-from", paramLabel = "RUN_DIR", description = "start β from the one betalab fit-beta "
            + "fitted in RUN_DIR; the config's beta section may be left out (it becomes the fitted one)")
    private Path betaFrom;

    @Option(names = "--backend", description = "tensor backend by name (default: the highest-priority one; "
            + "a resumed run keeps its own)")
    private String backend;

    @Override
    public Integer call() {
        if (source.resume != null) {
            if (betaFrom != null) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--beta-from: a resumed run keeps the β it was started with");
            }
            RunOutput.restoreSetUp(spec, source.resume, out, backend);
        } else if (backend != null) {
            Backends.use(Backends.named(backend));
        }
        PrintWriter stdout = spec.commandLine().getOut();
        Registry registry = Registry.discover();
        java.util.function.Consumer<java.util.Map<String, Object>> progress = row -> {
            stdout.println(RunOutput.line(String.format(Locale.ROOT, "step %5s", row.get("step")), row, SHOWN));
            stdout.flush();
        };
        RunDirectory.Summary summary;
        if (source.resume != null) {
            summary = PreferenceTraining.resume(registry, source.resume, progress);
        } else {
            ConfigTree tree = ConfigTree.read(source.config);
            if (betaFrom != null) {
                // The fit's own β section is what the run trains; recorded in config.json like any other.
                FittedBeta fitted = FittedBeta.load(betaFrom, registry);
                tree.root().put(PreferenceTraining.BETA_FROM.name(), betaFrom.toString());
                if (!tree.root().containsKey("beta")) {
                    java.util.Map<String, Object> beta = new java.util.LinkedHashMap<>();
                    beta.put("name", fitted.scheme());
                    beta.putAll(fitted.knobs());
                    tree.root().put("beta", beta);
                }
            }
            Config config = PreferenceTraining.resolve(tree, registry);
            summary = PreferenceTraining.train(registry, config, RunOutput.newRunDirectory(out, source.config),
                    Integer.MAX_VALUE, progress);
        }
        RunOutput.printSummary(stdout, summary);
        return 0;
    }
}
