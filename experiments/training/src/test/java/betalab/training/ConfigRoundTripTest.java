package betalab.training;

import static betalab.training.Runs.json;
import static org.assertj.core.api.Assertions.assertThat;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.registry.Extension;
import betalab.api.registry.Knob;
import betalab.api.registry.Registry;
import betalab.api.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.google.inject.AbstractModule;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every registered component survives config.json: what is recorded resolves to what ran. */
class ConfigRoundTripTest {

    @Test
    void everyRegisteredComponentRoundTrips(@TempDir Path dir) {
        Registry registry = Runs.REGISTRY;
        List<String> checked = ConfigRoundTrip.checkEveryComponent(registry, dir);

        assertThat(registry.points().values()).containsAll(ConfigRoundTrip.POINTS);
        assertThat(checked).contains("loss sigmoid", "loss cdpo", "loss weighted", "beta fixed", "beta policy_mlp",
                "beta beta_dpo_batch", "policy log_linear", "policy mlp", "optimizer adam", "optimizer sgd",
                "task bandit");
        int bound = registry.all().values().stream().mapToInt(Map::size).sum();
        assertThat(checked).hasSize(bound);
    }

    @Test
    void everyComponentRoundTripsThroughTheTrainSchema(@TempDir Path dir) {
        Map<String, Object> base = Runs.bandit(3, Runs.FIXED, 0.0);
        List<String> checked = ConfigRoundTrip.checkSchema(PreferenceTraining.SCHEMA, base, Runs.REGISTRY, dir);
        assertThat(checked).contains("loss ipo", "beta ppl_scaled", "policy mlp", "optimizer adamw", "task bandit");
    }

    /** A plugin's component, and its knob that has a default nobody types. */
    static final class PluginExtension extends AbstractModule implements Extension {
        static final Knob<Double> SCALE = Knob.real("scale", 0.375, "β = scale").positive();
        static final Knob<List<Integer>> WIDTHS = Knob.integers("widths", List.of(2, 5), "unused, recorded");

        @Override
        protected void configure() {
            BetaEstimator.POINT.bind(binder(), "plugin_beta", "β = scale for every pair", List.of(SCALE, WIDTHS),
                    (settings, context) -> new BetaEstimator() {
                        @Override
                        public Tensor beta(PreferenceBatch batch) {
                            return batch.policyChosen().detach().zerosLike().add(settings.get(SCALE));
                        }

                        @Override
                        public double baseBeta() {
                            return settings.get(SCALE);
                        }
                    });
        }
    }

    @Test
    void aPluginsUntypedDefaultsAreRecordedAndReplay(@TempDir Path dir) {
        Registry registry = Runs.with(new PluginExtension());
        assertThat(ConfigRoundTrip.checkEveryComponent(registry, dir.resolve("scratch"))).contains("beta plugin_beta");

        Map<String, Object> config = Runs.bandit(2, Map.of("name", "plugin_beta"), 0.0);
        PreferenceTraining.train(registry, Runs.resolve(config, registry), dir.resolve("run"), Integer.MAX_VALUE,
                r -> { });
        JsonNode beta = json(dir.resolve("run").resolve(RunDirectory.CONFIG)).get("beta");
        assertThat(beta.get("scale").asDouble()).isEqualTo(0.375);
        assertThat(beta.get("widths").toString()).isEqualTo("[2,5]");
        assertThat(beta.get("beta_target").asDouble()).isEqualTo(0.1);
        // The run used it: every pair's β is the default scale.
        assertThat(Runs.rows(dir.resolve("run")).get(1).get("beta/mean").asDouble()).isEqualTo(0.375);

        PreferenceTraining.train(registry, PreferenceTraining.resolve(ConfigTree.read(dir.resolve("run")
                .resolve(RunDirectory.CONFIG)), registry), dir.resolve("replay"), Integer.MAX_VALUE, r -> { });
        assertThat(Runs.rows(dir.resolve("replay"))).isEqualTo(Runs.rows(dir.resolve("run")));
    }
}
