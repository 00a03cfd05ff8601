package betalab.models;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.api.preference.BetaEstimator;
import betalab.api.registry.Registry;
import betalab.api.testkit.BetaEstimatorConformance;
import betalab.api.testkit.TestBatches;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The conformance kit on every built-in β scheme, each built by name through a registry of the
 * discovered extensions, so the service-loader path and the common knobs (BetaOptions) are those a
 * run takes. The kit's batches carry features, a representation and log πθ(x) (ppl_scaled needs it).
 */
class BuiltInBetaConformanceTest {
    private static final Registry REGISTRY = Registry.discover();

    private static BetaEstimator scheme(String name, Map<String, ?> knobs, BetaEstimator.Context context) {
        return REGISTRY.create(BetaEstimator.POINT, name, knobs, context);
    }

    /** Every built-in scheme has a kit below; a scheme added without one fails here. */
    @Test
    void everyBuiltInSchemeHasItsKit() {
        assertThat(REGISTRY.providers(BetaEstimator.POINT).keySet()).containsExactlyInAnyOrder("fixed",
                "learnable_scalar", "softplus_mlp", "policy_mlp", "ppl_scaled", "beta_dpo_batch", "beta_dpo_instance",
                "beta_schedule", "kl_controller", "mallows_dispersion", "epsilon_dpo");
    }

    @ParameterizedTest
    @ValueSource(strings = {"fixed", "beta_dpo_batch", "beta_dpo_instance", "beta_schedule", "kl_controller",
            "mallows_dispersion", "epsilon_dpo"})
    void parameterFreeSchemesHaveNoParametersAndNoGradient(String name) {
        BetaEstimator beta = scheme(name, name.equals("mallows_dispersion") ? Map.of("vocabulary", 50) : Map.of(),
                Pairs.context(1));
        assertThat(beta.namedParameters()).isEmpty();
        assertThat(beta.beta(TestBatches.random(5, 3, 4, 1)).requiresGrad()).isFalse();
        assertThat(beta.train(TestBatches.random(5, 3, 4, 1)).beta().requiresGrad()).isFalse();
    }

    @Nested
    class EpsilonDpo extends BetaEstimatorConformance {
        @Override
        protected BetaEstimator create(BetaEstimator.Context context) {
            return scheme("epsilon_dpo", Map.of("epsilon", 0.3), context);
        }
    }

    @Nested
    class Fixed extends BetaEstimatorConformance {
        @Override
        protected BetaEstimator create(BetaEstimator.Context context) {
            return scheme("fixed", Map.of("beta", 0.3), context);
        }
    }

    @Nested
    class LearnableScalarSoftplus extends BetaEstimatorConformance {
        @Override
        protected BetaEstimator create(BetaEstimator.Context context) {
            return scheme("learnable_scalar", Map.of(), context);
        }
    }

    @Nested
    class LearnableScalarExp extends BetaEstimatorConformance {
        @Override
        protected BetaEstimator create(BetaEstimator.Context context) {
            return scheme("learnable_scalar", Map.of("parametrization", "exp", "init", 0.4), context);
        }
    }

    @Nested
    class SoftplusMlp extends BetaEstimatorConformance {
        @Override
        protected BetaEstimator create(BetaEstimator.Context context) {
            return scheme("softplus_mlp", Map.of("hidden", List.of(5, 4), "activation", "tanh"), context);
        }

        /** It reads the features alone. */
        @Override
        protected int representationDim() {
            return 0;
        }
    }

    /** With the common penalty knob: the registry wraps the scheme, which must still conform. */
    @Nested
    class SoftplusMlpWithPenalty extends BetaEstimatorConformance {
        @Override
        protected BetaEstimator create(BetaEstimator.Context context) {
            return scheme("softplus_mlp", Map.of("beta_penalty", 0.5, "beta_target", 0.2), context);
        }
    }

    @Nested
    class PolicyMlp extends BetaEstimatorConformance {
        @Override
        protected BetaEstimator create(BetaEstimator.Context context) {
            return scheme("policy_mlp", Map.of(), context);
        }

        /** It reads the representation alone. */
        @Override
        protected int featureDim() {
            return 0;
        }
    }

    @Nested
    class PplScaled extends BetaEstimatorConformance {
        @Override
        protected BetaEstimator create(BetaEstimator.Context context) {
            return scheme("ppl_scaled", Map.of("epsilon", 0.5), context);
        }
    }

    @Nested
    class PplScaledOnFeatures extends BetaEstimatorConformance {
        @Override
        protected BetaEstimator create(BetaEstimator.Context context) {
            return scheme("ppl_scaled", Map.of("input", "features", "hidden", List.of(3)), context);
        }

        @Override
        protected int representationDim() {
            return 0;
        }
    }

    @Nested
    class BetaDpoBatch extends BetaEstimatorConformance {
        @Override
        protected BetaEstimator create(BetaEstimator.Context context) {
            return scheme("beta_dpo_batch", Map.of(), context);
        }
    }

    @Nested
    class BetaDpoInstance extends BetaEstimatorConformance {
        @Override
        protected BetaEstimator create(BetaEstimator.Context context) {
            return scheme("beta_dpo_instance", Map.of(), context);
        }
    }

    /** Micro-batches of 3 of the kit's 7 pairs (3, 3, 1), the filter at mode_weight 0.5. */
    @Nested
    class BetaDpoBatchMicroBatched extends BetaEstimatorConformance {
        @Override
        protected BetaEstimator create(BetaEstimator.Context context) {
            return scheme("beta_dpo_batch", Map.of("micro_batch", 3, "mode_weight", 0.5), context);
        }
    }

    /** betalab's earlier β-DPO, kept as a variant: gap β₀·h, statistics from the first batch, no filter. */
    @Nested
    class BetaDpoInstanceVariant extends BetaEstimatorConformance {
        @Override
        protected BetaEstimator create(BetaEstimator.Context context) {
            return scheme("beta_dpo_instance", Map.of("gap", "scaled", "start", "first_batch", "filter", false,
                    "micro_batch", 0), context);
        }
    }

    /** init_beta: a zero last layer; gradients of every parameter must still match finite differences. */
    @Nested
    class SoftplusMlpInitBeta extends BetaEstimatorConformance {
        @Override
        protected BetaEstimator create(BetaEstimator.Context context) {
            return scheme("softplus_mlp", Map.of("init_beta", 0.1, "hidden", List.of(4, 3)), context);
        }
    }

    @Nested
    class PplScaledInitBeta extends BetaEstimatorConformance {
        @Override
        protected BetaEstimator create(BetaEstimator.Context context) {
            return scheme("ppl_scaled", Map.of("init_beta", 0.1), context);
        }
    }

    /** Three steps of 4: the kit's two training steps land mid-schedule, where the cosine moves β. */
    @Nested
    class BetaScheduleCosine extends BetaEstimatorConformance {
        @Override
        protected BetaEstimator create(BetaEstimator.Context context) {
            return scheme("beta_schedule", Map.of("start", 0.5, "end", 0.1, "steps", 4, "shape", "cosine"), context);
        }
    }

    /** A short horizon (gain 7/10) so the kit's two steps move β and its state matters. */
    @Nested
    class KlController extends BetaEstimatorConformance {
        @Override
        protected BetaEstimator create(BetaEstimator.Context context) {
            return scheme("kl_controller", Map.of("target", 0.5, "horizon", 10.0), context);
        }
    }

    /** The kit's log πθ(x) of −20 … −5 over 3 … 12 tokens: per-token values within log 50. */
    @Nested
    class MallowsDispersion extends BetaEstimatorConformance {
        @Override
        protected BetaEstimator create(BetaEstimator.Context context) {
            return scheme("mallows_dispersion", Map.of("vocabulary", 50), context);
        }
    }

    @Nested
    class MallowsDispersionOnCompletions extends BetaEstimatorConformance {
        @Override
        protected BetaEstimator create(BetaEstimator.Context context) {
            return scheme("mallows_dispersion", Map.of("vocabulary", 50, "source", "completions"), context);
        }
    }
}
