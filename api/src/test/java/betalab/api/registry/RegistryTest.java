package betalab.api.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.AbstractModule;
import com.google.inject.CreationException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RegistryTest {

    /** A made-up extension point whose implementations echo the settings they were built with. */
    static final ExtensionPoint<Settings, String> ECHO = ExtensionPoint.of("echo", "Echoes", Settings.class);
    static final Knob<Double> EPSILON = Knob.real("epsilon", 0.0, "smoothing").between(0, 0.5, true);
    static final Knob<List<Integer>> SIZES = Knob.integers("sizes", List.of(1), "widths").positive();
    static final Knob<String> MODE = Knob.text("mode", "a", "mode", "a", "b");
    static final Knob<Long> SEED = Knob.longInteger("seed", 7, "a seed");

    static final class TinyExtension extends AbstractModule implements Extension {
        private final String name;

        TinyExtension(String name) {
            this.name = name;
        }

        @Override
        protected void configure() {
            ECHO.bind(binder(), name, "an echo", List.of(EPSILON, SIZES, MODE, SEED), (settings, context) -> settings);
        }
    }

    @Test
    void buildsByNameWithTheGivenKnobsAndRecordsWhereComponentsCameFrom() {
        Registry registry = Registry.of(List.of(new TinyExtension("tiny")));
        assertThat(registry.providers(ECHO)).containsOnlyKeys("tiny");
        assertThat(registry.provider(ECHO, "tiny").origin()).isEqualTo(TinyExtension.class);
        assertThat(registry.provider(ECHO, "tiny").source()).isEqualTo("betalab.api");
        assertThat(registry.extensions()).containsExactly(TinyExtension.class.getName());
        assertThat(registry.points()).containsOnlyKeys("echo");

        Settings built = registry.create(ECHO, "tiny", Map.of("epsilon", "0.25", "sizes", "3, 4",
                "seed", 9_000_000_000L), "context");
        assertThat(built.get(EPSILON)).isEqualTo(0.25);
        assertThat(built.get(SIZES)).containsExactly(3, 4);
        assertThat(built.get(MODE)).isEqualTo("a");
        assertThat(built.get(SEED)).isEqualTo(9_000_000_000L);
        assertThat(built.asMap()).containsExactly(Map.entry("epsilon", 0.25), Map.entry("sizes", List.of(3, 4)),
                Map.entry("mode", "a"), Map.entry("seed", 9_000_000_000L));
    }

    @Test
    void commonKnobsAreCheckedAndApplied() {
        Knob<Boolean> loud = Knob.flag("loud", false, "shout");
        ExtensionPoint<String, Void> words = ExtensionPoint.<String, Void>of("word", "Words", String.class)
                .withCommonKnobs(List.of(loud), (made, settings) -> settings.get(loud) ? made.toUpperCase() : made);
        Registry registry = Registry.of(List.of(new AbstractModule() {
            @Override
            protected void configure() {
                words.bind(binder(), "hello", "says hello", List.of(), (settings, none) -> "hello");
            }
        }));
        assertThat(registry.create(words, "hello", Map.of(), null)).isEqualTo("hello");
        assertThat(registry.create(words, "hello", Map.of("loud", true), null)).isEqualTo("HELLO");
        assertThat(registry.resolve(words, "hello", Map.of()).asMap()).containsEntry("loud", false);
    }

    @Test
    void unknownNamesAndBadKnobsAreNamedInTheError() {
        Registry registry = Registry.of(List.of(new TinyExtension("tiny")));
        assertThatThrownBy(() -> registry.create(ECHO, "huge", Map.of(), ""))
                .hasMessage("unknown echo 'huge'; available: tiny");
        assertThatThrownBy(() -> registry.create(ECHO, "tiny", Map.of("epsilon", 0.7), ""))
                .hasMessage("echo 'tiny': knob 'epsilon' must be ≥ 0 and ≤ 0.5, got 0.7");
        assertThatThrownBy(() -> registry.create(ECHO, "tiny", Map.of("epsilon", "x"), ""))
                .hasMessage("echo 'tiny': knob 'epsilon' expects a number, got 'x'");
        assertThatThrownBy(() -> registry.create(ECHO, "tiny", Map.of("sizes", "2,0"), ""))
                .hasMessageContaining("knob 'sizes' must be > 0");
        assertThatThrownBy(() -> registry.create(ECHO, "tiny", Map.of("mode", "c"), ""))
                .hasMessage("echo 'tiny': knob 'mode' must be one of a, b, got 'c'");
        assertThatThrownBy(() -> registry.create(ECHO, "tiny", Map.of("gamma", 1), ""))
                .hasMessage("echo 'tiny': unknown knob 'gamma'; known: epsilon, sizes, mode, seed");
        assertThatThrownBy(() -> registry.create(ECHO, "tiny", Map.of("seed", 1.5), ""))
                .hasMessage("echo 'tiny': knob 'seed' expects a whole number, got '1.5'");
        assertThatThrownBy(() -> registry.create(ECHO, "tiny", Map.of("epsilon", "Infinity"), ""))
                .hasMessageStartingWith("echo 'tiny': knob 'epsilon' must be a finite number within float32's range");
        assertThatThrownBy(() -> registry.create(ECHO, "tiny", Map.of("epsilon", 1e308), ""))
                .hasMessageContaining("within float32's range");
        assertThatThrownBy(() -> registry.create(ECHO, "tiny", Map.of("sizes", "2.5"), ""))
                .hasMessage("echo 'tiny': knob 'sizes' expects a comma-separated list of whole numbers, got '2.5'");
        Registry empty = Registry.of(List.of());
        assertThatThrownBy(() -> empty.create(ECHO, "tiny", Map.of(), ""))
                .hasMessage("unknown echo 'tiny'; no extension provides any");
    }

    @Test
    void aDuplicateNameFailsNamingBothBindings() {
        assertThatThrownBy(() -> Registry.of(List.of(new TinyExtension("tiny"), new TinyExtension("tiny"))))
                .isInstanceOf(CreationException.class).hasMessageContaining("tiny")
                .hasMessageContaining("TinyExtension");
    }
}
