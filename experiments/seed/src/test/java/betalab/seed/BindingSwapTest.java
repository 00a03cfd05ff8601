package betalab.seed;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.api.nn.Module;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PromptHead;
import betalab.api.registry.Extension;
import betalab.api.registry.Extensions;
import betalab.api.registry.Registry;
import betalab.api.tensor.Tensor;
import betalab.training.ConfigTree;
import com.google.inject.AbstractModule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Swapping the Guice binding behind a name swaps what the same experiment trains. */
class BindingSwapTest {

    /** One learnable β = softplus(w) shared by every pair: forward code only. */
    static final class ScalarBeta extends Module implements BetaEstimator {
        private final Tensor w = parameter("w", Tensor.scalar(0.5413));

        @Override
        public Tensor beta(PreferenceBatch batch) {
            return batch.policyChosen().detach().zerosLike().add(w.softplus());
        }
    }

    /**
     * Binds "softplus_mlp" to the scalar β in place of the MLP. It declares the MLP's hidden knob
     * (and ignores it), as the seed config's default sets it.
     */
    static final class ScalarBetaExtension extends AbstractModule implements Extension {
        @Override
        protected void configure() {
            BetaEstimator.POINT.bind(binder(), "softplus_mlp", "a single learnable β", List.of(PromptHead.HIDDEN),
                    (settings, context) -> new ScalarBeta());
        }
    }

    private static SeedResult run(Registry registry) {
        return SeedExperiment.run(registry, SeedExperiment.SCHEMA.resolve(ConfigTree.of(Map.of("seed", 3), null),
                registry), (e, l) -> { });
    }

    @Test
    void sameExperimentTrainsWhateverTheNameIsBoundTo() {
        SeedResult mlp = run(Registry.discover());

        List<Extension> swapped = new ArrayList<>(Extensions.discover());
        swapped.removeIf(e -> e.getClass().getSimpleName().equals("BetaSchemesExtension"));
        swapped.add(new ScalarBetaExtension());
        SeedResult scalar = run(Registry.of(swapped));

        assertThat(scalar.delta()).containsExactly(mlp.delta());
        assertThat(mlp.beta()).doesNotHaveDuplicates();
        assertThat(scalar.beta()).containsOnly(scalar.beta()[0]);
        assertThat(scalar.loss()).isNotEqualTo(mlp.loss());
        assertThat(scalar.extensions()).contains(ScalarBetaExtension.class.getName())
                .noneMatch(name -> name.endsWith("BetaSchemesExtension"));
    }
}
