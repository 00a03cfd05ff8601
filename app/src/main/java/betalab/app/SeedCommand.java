package betalab.app;

import betalab.api.registry.Registry;
import betalab.api.tensor.Backends;
import betalab.seed.SeedExperiment;
import betalab.seed.SeedResult;
import betalab.training.Config;
import betalab.training.ConfigTree;
import betalab.training.RunFiles;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code betalab seed}: the seed document's experiment, printed as the document prints it. */
@Command(name = "seed", mixinStandardHelpOptions = true, sortOptions = false,
        modelTransformer = SeedCommand.Options.class,
        description = "Train β(x) = softplus(MLP(x)) alone on fixed margins Δ, as the seed document does.")
final class SeedCommand implements Callable<Integer> {

    /** --seed, --epochs, --samples, --dim and --rng, from the experiment's knobs. */
    static final class Options implements IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            return KnobOptions.add(spec, SeedExperiment.SCHEMA.knobs());
        }
    }

    @Spec
    private CommandSpec spec;

    @Option(names = "--beta", paramLabel = "NAME", description = "β scheme by registry name (default: softplus_mlp)")
    private String betaScheme;

    @Option(names = "--hidden", split = ",", paramLabel = "WIDTHS",
            description = "hidden widths of the β network, a knob of the β scheme (default: 10)")
    private List<Integer> hidden;

    @Option(names = "--knob", paramLabel = "NAME=VALUE", description = "any other knob of the β scheme; may be repeated")
    private Map<String, String> betaKnobs = new LinkedHashMap<>();

    @Option(names = "--lr", paramLabel = "LR", description = "Adam's learning rate (default: 0.01)")
    private Double lr;

    @Option(names = "--backend", description = "tensor backend by name (default: the highest-priority one)")
    private String backend;

    @Option(names = "--json", description = "also write the run as JSON to this file")
    private Path json;

    @Override
    public Integer call() throws Exception {
        Registry registry = Registry.discover();
        Config config = config(registry);
        if (backend != null) {
            try {
                Backends.use(Backends.named(backend));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--backend: " + e.getMessage());
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        SeedResult result = SeedExperiment.run(registry, config, (epoch, loss) -> {
            if (epoch % 40 == 0) {
                out.printf(Locale.ROOT, "Epoch %d, Loss: %.4f%n", epoch, loss);
            }
        });
        printTable(out, result);
        if (json != null) {
            RunFiles.writeJson(json, SeedJson.of(result));
        }
        out.flush();
        return 0;
    }

    /** The options as a config of the experiment, checked; a misfit names its option. */
    private Config config(Registry registry) {
        Map<String, Object> tree = new LinkedHashMap<>(KnobOptions.given(spec, SeedExperiment.SCHEMA.knobs()));
        Map<String, Object> beta = new LinkedHashMap<>();
        if (betaScheme != null || !betaKnobs.isEmpty() || hidden != null) {
            beta.put("name", betaScheme != null ? betaScheme : "softplus_mlp");
        }
        beta.putAll(betaKnobs);
        if (hidden != null) {
            beta.put("hidden", hidden);
        }
        if (!beta.isEmpty()) {
            tree.put("beta", beta);
        }
        if (lr != null) {
            tree.put("optimizer", Map.of("name", "adam", "lr", lr));
        }
        try {
            return SeedExperiment.SCHEMA.resolve(ConfigTree.fromOptions(tree, this::optionOf), registry);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** The option a config field came from. */
    private String optionOf(String field) {
        if (field.equals("beta.name")) {
            return "--beta";
        }
        if (field.equals("beta.hidden") && hidden != null) {
            return "--hidden";
        }
        if (field.startsWith("beta.")) {
            return "--knob " + field.substring(5);
        }
        if (field.equals("optimizer.lr")) {
            return "--lr";
        }
        return KnobOptions.option(field);
    }

    private static void printTable(PrintWriter out, SeedResult r) {
        int n = r.delta().length;
        out.println();
        out.println("Results:");
        out.printf(Locale.ROOT, "%-8s %-10s %-10s%n", "Sample", "Δ", "β(x)");
        out.println("-".repeat(30));
        for (int i = 0; i < n; i++) {
            out.printf(Locale.ROOT, "%-8d %-10.4f %-10.4f%n", i, r.delta()[i], r.beta()[i]);
        }
        out.println();
        out.printf(Locale.ROOT, "Mean β(x) of the first %d samples (Δ > 0): %.4f%n", n / 2, r.meanBetaPos());
        out.printf(Locale.ROOT, "Mean β(x) of the last %d samples (Δ < 0): %.4f%n", n - n / 2, r.meanBetaNeg());
    }
}
