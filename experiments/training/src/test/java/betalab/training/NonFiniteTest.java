package betalab.training;

import static betalab.training.Runs.bandit;
import static betalab.training.Runs.json;
import static betalab.training.Runs.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.registry.Extension;
import betalab.api.registry.Registry;
import betalab.api.tensor.NonFiniteValueException;
import betalab.api.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.google.inject.AbstractModule;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A NaN or infinity stops the run at its step, naming the quantity, and the record says so. */
class NonFiniteTest {
    private static final Registry REGISTRY = Runs.with(new PoisonExtension());

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "sigmoid|poisoned|non-finite beta at step 4",
            "poison_loss|fixed|non-finite loss at step 4",
            "poison_gradient|fixed|non-finite gradient of policy.weight at step 4"})
    void aNonFiniteValueStopsTheRunNamingStepAndQuantity(String loss, String beta, String message,
                                                         @TempDir Path dir) {
        Map<String, Object> config = bandit(20, Map.of("name", beta), 0.0);
        config.put("loss", Map.of("name", loss));
        Config resolved = Runs.resolve(config, REGISTRY);

        assertThatThrownBy(() -> PreferenceTraining.train(REGISTRY, resolved, dir, Integer.MAX_VALUE, r -> { }))
                .isInstanceOf(NonFiniteValueException.class).hasMessage(message);
        JsonNode summary = json(dir.resolve(RunDirectory.SUMMARY));
        assertThat(summary.get("status").asText()).isEqualTo("failed");
        assertThat(summary.get("error").asText()).isEqualTo(message);
        // Steps 1 to 3 were recorded; nothing of step 4, which never updated the parameters.
        assertThat(rows(dir)).extracting(r -> r.get("step").asInt()).containsExactly(0, 1, 2, 3);
        assertThat(summary.get("steps_completed").asInt()).isEqualTo(3);
    }

    /** What turns non-finite from the fourth training step on (evaluations, without gradients, are left alone). */
    static final class PoisonExtension extends AbstractModule implements Extension {
        @Override
        protected void configure() {
            BetaEstimator.POINT.bind(binder(), "poisoned", "β = 1, NaN from the fourth training step", List.of(),
                    (settings, context) -> new BetaEstimator() {
                        private int calls;

                        @Override
                        public Tensor beta(PreferenceBatch batch) {
                            return batch.policyChosen().detach().zerosLike().add(1.0);
                        }

                        @Override
                        public Estimate train(PreferenceBatch batch) {
                            Tensor one = beta(batch);
                            return new Estimate(++calls >= 4 ? one.mul(Double.NaN) : one, null, null);
                        }
                    });
            PreferenceLoss.POINT.bind(binder(), "poison_loss", "DPO, +∞ from the fourth training step",
                    List.of(), (settings, none) -> poison("loss"));
            PreferenceLoss.POINT.bind(binder(), "poison_gradient",
                    "DPO plus √((c − c)²): a finite 0 whose gradient is NaN from the fourth training step",
                    List.of(), (settings, none) -> poison("gradient"));
        }

        private static PreferenceLoss poison(String what) {
            int[] calls = {0};
            return (batch, beta) -> {
                Tensor h = batch.margin();
                Tensor dpo = h.mul(beta).logSigmoid().neg();
                if (!h.requiresGrad() || ++calls[0] < 4) {
                    return dpo;
                }
                if (what.equals("loss")) {
                    return dpo.add(Double.POSITIVE_INFINITY);
                }
                Tensor c = batch.policyChosen();
                return dpo.add(c.sub(c.detach()).square().sqrt());
            };
        }
    }
}
