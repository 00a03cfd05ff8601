package betalab.loss;

import static betalab.loss.Formulas.REGISTRY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.preference.PreferenceLoss;
import betalab.api.registry.Knob;
import betalab.api.registry.Provider;
import java.util.Arrays;
import java.util.Map;
import java.util.SortedMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The catalogue as the registry shows it: names, descriptions, knobs with TRL's defaults, and their checks. */
class KnobsTest {
    private static final SortedMap<String, Provider<PreferenceLoss, Void>> LOSSES =
            REGISTRY.providers(PreferenceLoss.POINT);

    @Test
    void bindsEveryLossOfTheCatalogueByItsTrlName() {
        assertThat(LOSSES.keySet()).containsExactlyInAnyOrder("sigmoid", "cdpo", "robust", "hinge", "ipo",
                "exo_pair", "nca_pair", "bco_pair", "sppo_hard", "aot", "aot_unpaired", "apo_zero", "apo_down",
                "discopop", "sigmoid_norm", "simpo", "dpop", "cal_dpo", "alphapo", "sft", "weighted");
        LOSSES.forEach((name, p) -> {
            assertThat(p.description()).as(name).isNotBlank().doesNotContain("\n");
            assertThat(p.knobs().stream().map(Knob::name)).as(name).doesNotHaveDuplicates();
        });
    }

    @Test
    void divergenceKnobsBelongToTheLossesWrittenInH() {
        assertThat(LOSSES.entrySet().stream().filter(e -> !e.getKey().equals("weighted"))
                .filter(e -> e.getValue().knobs().stream().anyMatch(k -> k.name().equals("divergence")))
                .map(Map.Entry::getKey)).containsExactlyInAnyOrderElementsOf(Formulas.ON_H);
    }

    @ParameterizedTest(name = "{0} {1} = {2}")
    @CsvSource(delimiter = '|', textBlock = """
            cdpo         | epsilon    | 0.0
            robust       | epsilon    | 0.0
            exo_pair     | epsilon    | 0.001
            aot          | epsilon    | 0.0
            aot_unpaired | epsilon    | 0.0
            discopop     | tau        | 0.05
            simpo        | gamma      | 0.5
            dpop         | lambda     | 50.0
            alphapo      | alpha      | 0.25
            alphapo      | gamma      | 0.5
            sigmoid      | divergence | reverse_kl
            ipo          | alpha      | 0.5
            weighted     | terms      | sigmoid
            weighted     | weights    | ''
            weighted     | epsilon    | ''
            """)
    void knobsHaveTrlsDefaults(String loss, String knob, String value) {
        Provider<PreferenceLoss, Void> p = LOSSES.get(loss);
        assertThat(p.knobs()).filteredOn(k -> k.name().equals(knob)).singleElement()
                .extracting(k -> String.valueOf(k.defaultValue())).isEqualTo(value);
    }

    /** Knob values as {@code name=value;name=value}, the way a command line would give them. */
    private static Map<String, String> knobs(String text) {
        return Arrays.stream(text.split(";")).map(kv -> kv.split("=", 2))
                .collect(Collectors.toMap(kv -> kv[0].trim(), kv -> kv[1]));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', textBlock = """
            cdpo         | epsilon=-0.1                      | epsilon
            cdpo         | epsilon=0.6                       | epsilon
            robust       | epsilon=0.5                       | epsilon
            exo_pair     | epsilon=0                         | epsilon
            exo_pair     | epsilon=1                         | epsilon
            aot          | epsilon=0.7                       | epsilon
            aot_unpaired | epsilon=-1e-3                     | epsilon
            simpo        | gamma=-0.1                        | gamma
            dpop         | lambda=-1                         | lambda
            alphapo      | alpha=Infinity                    | alpha
            alphapo      | gamma=-0.1                        | gamma
            discopop     | tau=0                             | tau
            discopop     | tau=-0.05                         | tau
            hinge        | divergence=kl                     | divergence
            weighted     | terms=sigmoid,ipo;weights=1       | weights
            weighted     | terms=sigmoid;weights=1,2         | weights
            weighted     | terms=sigmoid,ipo;weights=1,x     | weights
            weighted     | terms=sigmoid;weights=Infinity    | weights
            weighted     | terms=sigmoid,nope                | terms
            weighted     | terms=,                           | terms
            weighted     | terms=weighted                    | terms
            weighted     | terms=cdpo;epsilon=0.7            | epsilon
            weighted     | terms=robust,exo_pair;epsilon=0.5 | epsilon
            weighted     | terms=sigmoid;gamma=1             | gamma
            """)
    void rejectsValuesOutOfRangeNamingTheKnob(String loss, String given, String knob) {
        assertThatThrownBy(() -> Formulas.loss(loss, knobs(given))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("loss '" + loss + "'").hasMessageContaining("knob '" + knob + "'");
    }
}
