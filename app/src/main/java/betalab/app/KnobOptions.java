package betalab.app;

import betalab.api.registry.Knob;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Command-line options made from knobs: the knob's one declaration gives the option's name
 * ({@code batch_size} → {@code --batch-size}), its description and its default, so nothing is
 * written twice. Only options the user gave are passed on; the rest take the knob's default.
 */
final class KnobOptions {
    private KnobOptions() {
    }

    /** The option a knob becomes. */
    static String option(String knob) {
        return "--" + knob.replace('_', '-');
    }

    /** Adds an option for each knob to {@code spec}. */
    static CommandSpec add(CommandSpec spec, List<? extends Knob<?>> knobs) {
        for (Knob<?> k : knobs) {
            String range = k.range().isEmpty() ? "" : "; " + k.range();
            spec.addOption(OptionSpec.builder(option(k.name())).type(String.class)
                    .paramLabel(k.name().toUpperCase(java.util.Locale.ROOT))
                    .description(k.description() + " (default: " + k.defaultValue() + range + ")").build());
        }
        return spec;
    }

    /** The values the user gave for these knobs' options, by knob name. */
    static Map<String, Object> given(CommandSpec spec, List<? extends Knob<?>> knobs) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (Knob<?> k : knobs) {
            OptionSpec o = spec.findOption(option(k.name()));
            if (o != null && spec.commandLine().getParseResult().hasMatchedOption(o)) {
                values.put(k.name(), o.getValue());
            }
        }
        return values;
    }
}
