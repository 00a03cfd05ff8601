package betalab.loss;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.api.preference.PreferenceLoss;
import betalab.api.registry.Registry;
import betalab.api.testkit.PreferenceLossConformance;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The conformance kit on every built-in loss, each built by name through a registry of the
 * discovered extensions (the service-loader path a run takes), at its defaults unless noted.
 */
class BuiltInLossConformanceTest {
    private static final Registry REGISTRY = Registry.discover();

    private static PreferenceLoss loss(String name, Map<String, ?> knobs) {
        return REGISTRY.create(PreferenceLoss.POINT, name, knobs, null);
    }

    /** Every built-in loss has a kit below; a loss added without one fails here. */
    @Test
    void everyBuiltInLossHasItsKit() {
        assertThat(REGISTRY.providers(PreferenceLoss.POINT).keySet()).containsExactlyInAnyOrder(
                "sigmoid", "cdpo", "robust", "hinge", "ipo", "exo_pair", "nca_pair", "bco_pair", "sppo_hard", "aot",
                "aot_unpaired", "apo_zero", "apo_down", "discopop", "sigmoid_norm", "simpo", "dpop", "cal_dpo",
                "alphapo", "sft", "weighted");
    }

    @Nested
    class Sigmoid extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("sigmoid", Map.of());
        }
    }

    @Nested
    class Cdpo extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("cdpo", Map.of());
        }
    }

    @Nested
    class Robust extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("robust", Map.of());
        }
    }

    @Nested
    class Hinge extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("hinge", Map.of());
        }
    }

    @Nested
    class Ipo extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("ipo", Map.of());
        }
    }

    @Nested
    class ExoPair extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("exo_pair", Map.of());
        }
    }

    @Nested
    class NcaPair extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("nca_pair", Map.of());
        }
    }

    @Nested
    class BcoPair extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("bco_pair", Map.of());
        }
    }

    @Nested
    class SppoHard extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("sppo_hard", Map.of());
        }
    }

    @Nested
    class Aot extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("aot", Map.of());
        }
    }

    @Nested
    class AotUnpaired extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("aot_unpaired", Map.of());
        }
    }

    @Nested
    class ApoZero extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("apo_zero", Map.of());
        }
    }

    @Nested
    class ApoDown extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("apo_down", Map.of());
        }
    }

    @Nested
    class Discopop extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("discopop", Map.of());
        }
    }

    @Nested
    class SigmoidNorm extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("sigmoid_norm", Map.of());
        }
    }

    @Nested
    class Simpo extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("simpo", Map.of());
        }
    }

    @Nested
    class Sft extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("sft", Map.of());
        }
    }

    @Nested
    class Dpop extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("dpop", Map.of());
        }
    }

    @Nested
    class CalDpo extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("cal_dpo", Map.of());
        }
    }

    @Nested
    class Alphapo extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("alphapo", Map.of());
        }
    }

    /** A negative α, the other side of SimPO's log reward. */
    @Nested
    class AlphapoNegative extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("alphapo", Map.of("alpha", -0.5));
        }
    }

    /** Three terms with unequal weights and a knob shared by two; none coupled, so pairs stay apart. */
    @Nested
    class Weighted extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("weighted", Map.of("terms", "cdpo,ipo,exo_pair", "weights", "0.5,2,1", "epsilon", "0.1"));
        }
    }

    /** With a batch-coupled term the combination is coupled too. */
    @Nested
    class WeightedWithACoupledTerm extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("weighted", Map.of("terms", "cdpo,ipo,aot", "weights", "0.5,2,1", "epsilon", "0.1"));
        }
    }

    /** A loss in h under a non-default f-divergence: s(u) enters the gradient of every log-probability. */
    @Nested
    class SigmoidUnderJs extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("sigmoid", Map.of("divergence", "js"));
        }
    }

    @Nested
    class IpoUnderAlpha extends PreferenceLossConformance {
        @Override
        protected PreferenceLoss create() {
            return loss("ipo", Map.of("divergence", "alpha", "alpha", -0.5));
        }
    }
}
