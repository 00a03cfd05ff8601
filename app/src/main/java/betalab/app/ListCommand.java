package betalab.app;

import betalab.api.registry.Component;
import betalab.api.registry.ExtensionPoint;
import betalab.api.registry.Knob;
import betalab.api.registry.Registry;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code betalab list}: every component by extension point, with its knobs and where it came from. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List the losses, β schemes, policies, optimizers and tasks the loaded extensions provide.")
final class ListCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--markdown", description = "print Markdown tables (the README's catalogue is made this way)")
    private boolean markdown;

    @Override
    public Integer call() {
        Registry registry = Registry.discover();
        PrintWriter out = spec.commandLine().getOut();
        List<String> order = new java.util.ArrayList<>(List.of("loss", "beta", "policy", "optimizer", "task"));
        registry.points().keySet().stream().filter(k -> !order.contains(k)).sorted().forEach(order::add);
        for (String kind : order) {
            ExtensionPoint<?, ?> point = registry.points().get(kind);
            if (point != null) {
                String common = point.commonKnobs().isEmpty() ? "" : " (each also takes "
                        + point.commonKnobs().stream().map(Knob::name).collect(Collectors.joining(", ")) + ")";
                section(out, point.title() + common, registry.all().get(kind));
            }
        }
        trainFields(out);
        out.println((markdown ? "Extensions loaded: `" : "Extensions loaded: ")
                + String.join(", ", registry.extensions()) + (markdown ? "`" : ""));
        out.flush();
        return 0;
    }

    private void section(PrintWriter out, String title, Map<String, ? extends Component> components) {
        if (markdown) {
            out.println("**" + title + "**");
            out.println();
            out.println("| name | what it computes | knobs (default; range) |");
            out.println("|---|---|---|");
            components.forEach((name, c) -> out.printf(Locale.ROOT, "| `%s` | %s | %s |%n", name,
                    c.description().replace("|", "\\|"), knobs(c.knobs())));
        } else {
            out.println(title + ":");
            components.forEach((name, c) -> {
                out.printf(Locale.ROOT, "  %-18s %s   [%s]%n", name, c.description(), c.source());
                for (Knob<?> k : c.knobs()) {
                    out.printf(Locale.ROOT, "      %-16s %s (default %s%s)%n", k.name(), k.description(),
                            k.defaultValue(), k.range().isEmpty() ? "" : "; " + k.range());
                }
            });
        }
        out.println();
    }

    /** The top-level fields of a train config, WPO's use_weighting among them. */
    private void trainFields(PrintWriter out) {
        List<Knob<?>> fields = betalab.training.PreferenceTraining.SCHEMA.knobs();
        String title = "Train config fields (top level of betalab train's config; sections as above)";
        if (markdown) {
            out.println("**" + title + "**");
            out.println();
            out.println("| field | meaning | default; range |");
            out.println("|---|---|---|");
            fields.forEach(k -> out.printf(Locale.ROOT, "| `%s` | %s | %s%s |%n", k.name(),
                    k.description().replace("|", "\\|"), k.defaultValue(), k.range().isEmpty() ? "" : "; " + k.range()));
        } else {
            out.println(title + ":");
            fields.forEach(k -> out.printf(Locale.ROOT, "  %-18s %s (default %s%s)%n", k.name(), k.description(),
                    k.defaultValue(), k.range().isEmpty() ? "" : "; " + k.range()));
        }
        out.println();
    }

    private static String knobs(List<Knob<?>> knobs) {
        if (knobs.isEmpty()) {
            return "–";
        }
        return knobs.stream().map(k -> "`" + k.name() + "` (" + k.defaultValue()
                        + (k.range().isEmpty() ? "" : "; " + k.range()) + ")")
                .collect(Collectors.joining(", ")).replace("|", "\\|");
    }
}
