package betalab.app;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.api.registry.Component;
import betalab.api.registry.ExtensionPoint;
import betalab.api.registry.Knob;
import betalab.api.registry.Registry;
import betalab.data.fit.BetaFitter;
import betalab.lm.sft.SftTraining;
import betalab.training.ConfigSchema;
import betalab.training.ConfigTree;
import betalab.training.PreferenceTraining;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The example configs state defaults in their comments ("(default 64)"): each must be the default
 * the code declares, so an example never teaches a default that is not true. Each example must
 * also resolve against its schema as it is.
 */
class ExampleConfigsTest {
    private static final Registry REGISTRY = Registry.discover();
    private static final Pattern LINE = Pattern.compile("^(\\s*)([a-z_]+):\\s*([^#]*?)\\s*(#.*)?$");
    private static final Pattern DEFAULT = Pattern.compile("\\(default ([^):]+)\\)");

    @ParameterizedTest
    @CsvSource({"bandit-dpo.yaml, train, true", "bandit-learnable-beta.yaml, train, false",
            "plugin/bandit-plugin-beta.yaml, none, false", "fit-beta.yaml, fit, true", "lm-dpo.yaml, train, true",
            "sft.yaml, sft, true", "sft-tiny.yaml, sft, false"})
    void statedDefaultsAreTheCodesAndTheConfigResolves(String name, String kind, boolean statesDefaults)
            throws IOException {
        Path file = Path.of("..", "examples", name);
        ConfigSchema schema = switch (kind) {
            case "fit" -> BetaFitter.SCHEMA;
            case "sft" -> SftTraining.SCHEMA;
            default -> PreferenceTraining.SCHEMA;
        };
        if (kind.equals("none")) {
            // needs the example plugin's jar; its defaults are stated nowhere
            assertThat(Files.readString(file)).doesNotContain("(default");
            return;
        }
        switch (kind) {
            case "train" -> PreferenceTraining.resolve(ConfigTree.read(file), REGISTRY);
            case "sft" -> SftTraining.read(file, REGISTRY);
            default -> BetaFitter.read(file, REGISTRY);
        }
        List<String> checked = new ArrayList<>();
        String section = null;
        String component = null;
        for (String line : Files.readAllLines(file)) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            boolean top = m.group(1).isEmpty();
            String field = m.group(2);
            String value = m.group(3);
            if (top) {
                section = value.isEmpty() ? field : null;
                component = null;
            } else if (field.equals("name")) {
                component = value;
            }
            Matcher d = m.group(4) == null ? null : DEFAULT.matcher(m.group(4));
            if (d == null || !d.find()) {
                continue;
            }
            String stated = d.group(1).strip();
            String where = name + ": " + (section == null ? field : section + "." + field);
            assertThat(normalise(declaredDefault(schema, section, component, field)))
                    .as(where + " says (default " + stated + ")").isEqualTo(normalise(stated));
            checked.add(where);
        }
        assertThat(!checked.isEmpty()).as("defaults stated in " + name).isEqualTo(statesDefaults);
    }

    /** The default the code declares for {@code field}: a knob of the run, of a section, or a section's default name. */
    private static String declaredDefault(ConfigSchema schema, String section, String component, String field) {
        if (section == null) {
            return knob(schema.knobs(), field).orElseThrow(() -> new AssertionError("no knob " + field)).toString();
        }
        for (ConfigSchema.Section s : schema.sections()) {
            if (!s.field().equals(section)) {
                continue;
            }
            if (s instanceof ConfigSchema.KnobSection k) {
                return knob(k.knobs(), field).orElseThrow(() -> new AssertionError("no knob " + field)).toString();
            }
            ConfigSchema.ComponentSection c = (ConfigSchema.ComponentSection) s;
            if (field.equals("name")) {
                return c.defaultName();
            }
            ExtensionPoint<?, ?> point = c.point();
            Component provider = REGISTRY.provider(point, component);
            return knob(point.knobs(provider), field).orElseThrow(() -> new AssertionError("no knob " + field))
                    .toString();
        }
        throw new AssertionError("no section " + section);
    }

    private static Optional<Object> knob(List<Knob<?>> knobs, String name) {
        return knobs.stream().filter(k -> k.name().equals(name)).findFirst().map(Knob::defaultValue);
    }

    /** Numbers compare as numbers (64 = 64.0), lists without spaces, a quoted string as the string. */
    private static String normalise(String value) {
        String v = value.replace(" ", "").replaceAll("^\"(.*)\"$", "$1");
        try {
            return Double.toString(Double.parseDouble(v));
        } catch (NumberFormatException e) {
            return v;
        }
    }

}
