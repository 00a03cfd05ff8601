package betalab.api.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.preference.PreferenceLoss;
import com.google.inject.AbstractModule;
import com.google.inject.CreationException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RegistryTest {

    /** A loss that ignores β: enough to exercise naming, knobs and provenance. */
    static final class TinyExtension extends AbstractModule implements Extension {
        private final String name;

        TinyExtension(String name) {
            this.name = name;
        }

        @Override
        protected void configure() {
            Extensions.losses(binder()).addBinding(name).toInstance(PreferenceLoss.Provider.of("a test loss",
                    List.of(Knob.real("epsilon", 0.0, "smoothing").between(0, 0.5, true),
                            Knob.integers("sizes", List.of(1), "widths").positive(),
                            Knob.text("mode", "a", "mode", "a", "b")),
                    settings -> (batch, beta) -> beta));
        }
    }

    @Test
    void buildsByNameAndRecordsWhereComponentsCameFrom() {
        Registry registry = Registry.of(List.of(new TinyExtension("tiny")));
        assertThat(registry.losses()).containsOnlyKeys("tiny");
        assertThat(registry.losses().get("tiny").origin()).isEqualTo(TinyExtension.class);
        assertThat(registry.losses().get("tiny").source()).isEqualTo("betalab.api");
        assertThat(registry.extensions()).containsExactly(TinyExtension.class.getName());
        assertThat(registry.loss("tiny", Map.of("epsilon", "0.25", "sizes", "3, 4"))).isNotNull();
    }

    @Test
    void unknownNamesAndBadKnobsAreNamedInTheError() {
        Registry registry = Registry.of(List.of(new TinyExtension("tiny")));
        assertThatThrownBy(() -> registry.loss("huge", Map.of()))
                .hasMessage("unknown loss 'huge'; available: tiny");
        assertThatThrownBy(() -> registry.loss("tiny", Map.of("epsilon", 0.7)))
                .hasMessage("loss 'tiny': knob 'epsilon' must be ≥ 0 and ≤ 0.5, got 0.7");
        assertThatThrownBy(() -> registry.loss("tiny", Map.of("epsilon", "x")))
                .hasMessage("loss 'tiny': knob 'epsilon' expects a number, got 'x'");
        assertThatThrownBy(() -> registry.loss("tiny", Map.of("sizes", "2,0")))
                .hasMessageContaining("knob 'sizes' must be > 0");
        assertThatThrownBy(() -> registry.loss("tiny", Map.of("mode", "c")))
                .hasMessage("loss 'tiny': knob 'mode' must be one of a, b, got 'c'");
        assertThatThrownBy(() -> registry.loss("tiny", Map.of("gamma", 1)))
                .hasMessage("loss 'tiny': unknown knob 'gamma'; known: epsilon, sizes, mode");
        assertThatThrownBy(() -> registry.objective(null, null)).hasMessageContaining("Assembler");
    }

    @Test
    void aDuplicateNameFailsNamingBothBindings() {
        assertThatThrownBy(() -> Registry.of(List.of(new TinyExtension("tiny"), new TinyExtension("tiny"))))
                .isInstanceOf(CreationException.class).hasMessageContaining("tiny")
                .hasMessageContaining("TinyExtension");
    }
}
