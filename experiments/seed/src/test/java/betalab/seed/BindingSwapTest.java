package betalab.seed;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.api.nn.Module;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.registry.Extension;
import betalab.api.registry.Extensions;
import betalab.api.registry.Registry;
import betalab.api.tensor.Tensor;
import com.google.inject.AbstractModule;
import java.util.ArrayList;
import java.util.List;
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

    /** Binds "softplus_mlp" to the scalar β in place of the MLP. */
    static final class ScalarBetaExtension extends AbstractModule implements Extension {
        @Override
        protected void configure() {
            Extensions.betaEstimators(binder()).addBinding("softplus_mlp").toInstance(BetaEstimator.Provider.of(
                    "a single learnable β", List.of(), (settings, context) -> new ScalarBeta()));
        }
    }

    @Test
    void sameExperimentTrainsWhateverTheNameIsBoundTo() {
        SeedConfig config = SeedConfig.defaults().withSeed(3);
        SeedResult mlp = new SeedExperiment(Registry.discover()).run(config, (e, l) -> { });

        List<Extension> swapped = new ArrayList<>(Extensions.discover());
        swapped.removeIf(e -> e.getClass().getSimpleName().equals("BetaSchemesExtension"));
        swapped.add(new ScalarBetaExtension());
        SeedResult scalar = new SeedExperiment(Registry.of(swapped)).run(config, (e, l) -> { });

        assertThat(scalar.delta()).containsExactly(mlp.delta());
        assertThat(mlp.beta()).doesNotHaveDuplicates();
        assertThat(scalar.beta()).containsOnly(scalar.beta()[0]);
        assertThat(scalar.loss()).isNotEqualTo(mlp.loss());
        assertThat(scalar.extensions()).contains(ScalarBetaExtension.class.getName())
                .noneMatch(name -> name.endsWith("BetaSchemesExtension"));
    }
}
