package betalab.app;

import betalab.api.registry.Component;
import betalab.api.registry.Knob;
import betalab.api.registry.Registry;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code betalab list}: every loss, β scheme and optimizer, with its knobs and where it came from. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List the losses, β schemes and optimizers the loaded extensions provide.")
final class ListCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        Registry registry = Registry.discover();
        PrintWriter out = spec.commandLine().getOut();
        section(out, "Losses", registry.losses());
        section(out, "β schemes (each also takes detach, beta_penalty, beta_target)", registry.betaEstimators());
        section(out, "Optimizers", registry.optimizers());
        out.println("Extensions loaded: " + String.join(", ", registry.extensions()));
        out.flush();
        return 0;
    }

    private static void section(PrintWriter out, String title, Map<String, ? extends Component> components) {
        out.println(title + ":");
        components.forEach((name, c) -> {
            out.printf(Locale.ROOT, "  %-14s %s   [%s]%n", name, c.description(), c.source());
            for (Knob k : c.knobs()) {
                String range = k.range().isEmpty() ? "" : "; " + k.range();
                out.printf(Locale.ROOT, "      %-14s %s (default %s%s)%n", k.name(), k.description(),
                        k.defaultValue(), range);
            }
        });
        out.println();
    }
}
