package betalab.app;

import betalab.api.registry.Registry;
import betalab.api.tensor.Backends;
import betalab.training.RunFiles;
import betalab.seed.SeedConfig;
import betalab.seed.SeedExperiment;
import betalab.seed.SeedResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code betalab seed}: the seed document's experiment, printed as the document prints it. */
@Command(name = "seed", mixinStandardHelpOptions = true,
        description = "Train β(x) = softplus(MLP(x)) alone on fixed margins Δ, as the seed document does.")
final class SeedCommand implements Callable<Integer> {

    enum RngKind { torch, java }

    private static final SeedConfig DEFAULTS = SeedConfig.defaults();

    @Spec
    private CommandSpec spec;

    @Option(names = "--seed", description = "generator seed (default: ${DEFAULT-VALUE})", defaultValue = "42")
    private long seed;

    @Option(names = "--epochs", description = "full-batch training steps (default: ${DEFAULT-VALUE})",
            defaultValue = "200")
    private int epochs;

    @Option(names = "--samples", description = "number of pairs; half get Δ > 0 (default: ${DEFAULT-VALUE})",
            defaultValue = "20")
    private int samples;

    @Option(names = "--dim", description = "prompt feature width (default: ${DEFAULT-VALUE})", defaultValue = "5")
    private int dim;

    @Option(names = "--hidden", split = ",", description = "hidden widths of the β network (default: 10)")
    private List<Integer> hidden = DEFAULTS.hidden();

    @Option(names = "--lr", description = "Adam learning rate (default: ${DEFAULT-VALUE})", defaultValue = "0.01")
    private double lr;

    @Option(names = "--rng", description = "torch (PyTorch's CPU generator) or java (default: ${DEFAULT-VALUE})",
            defaultValue = "torch")
    private RngKind rng;

    @Option(names = "--beta", description = "β scheme by registry name (default: ${DEFAULT-VALUE})",
            defaultValue = "softplus_mlp")
    private String betaScheme;

    @Option(names = "--backend", description = "tensor backend by name (default: the highest-priority one)")
    private String backend;

    @Option(names = "--json", description = "also write the run as JSON to this file")
    private Path json;

    @Override
    public Integer call() throws Exception {
        SeedConfig config;
        try {
            config = new SeedConfig(seed, epochs, samples, dim, hidden, lr, rng.name(), betaScheme,
                    DEFAULTS.loss(), DEFAULTS.optimizer());
            if (backend != null) {
                Backends.use(Backends.named(backend));
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--" + e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        SeedResult result = new SeedExperiment(Registry.discover()).run(config, (epoch, loss) -> {
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
