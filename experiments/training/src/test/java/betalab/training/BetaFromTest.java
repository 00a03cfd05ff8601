package betalab.training;

import static betalab.training.Runs.REGISTRY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.preference.BetaEstimator;
import betalab.api.random.JavaRng;
import betalab.api.tensor.DType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A training run can start its β from one fitted offline, and records that it did. */
class BetaFromTest {
    @TempDir
    Path tmp;

    private static final Map<String, Object> SCHEME = Map.of("name", "softplus_mlp", "hidden", List.of(4));

    /** A fit-beta run directory as that command leaves it: the resolved β section and the fitted state. */
    private Path fit(Map<String, double[]> state) throws IOException {
        Path dir = tmp.resolve("fit");
        Map<String, Object> beta = new LinkedHashMap<>();
        beta.put("name", "softplus_mlp");
        beta.putAll(REGISTRY.resolve(BetaEstimator.POINT, "softplus_mlp", Map.of("hidden", List.of(4))).asMap());
        RunFiles.writeJson(dir.resolve(RunDirectory.CONFIG), Map.of("data", Map.of("path", "x"), "beta", beta));
        RunFiles.writeJson(dir.resolve("beta.json"), state);
        return dir;
    }

    private static Map<String, double[]> fittedState() {
        // A scheme with other weights than the run would draw: a seed the run does not use.
        BetaEstimator other = REGISTRY.create(BetaEstimator.POINT, "softplus_mlp", Map.of("hidden", List.of(4)),
                new BetaEstimator.Context(6, 6, new JavaRng(99), DType.FLOAT32));
        return other.state();
    }

    private Map<String, Object> config(Path fit, Map<String, Object> beta) {
        Map<String, Object> c = Runs.bandit(3, beta, 0.0);
        c.put("beta_from", fit.toString());
        return c;
    }

    @Test
    void theRunStartsFromTheFittedStateAndRecordsIt() throws IOException {
        Map<String, double[]> state = fittedState();
        Path fit = fit(state);
        Config config = Runs.resolve(config(fit, SCHEME), REGISTRY);
        PreferenceTraining training = new PreferenceTraining(config, REGISTRY);
        Map<String, double[]> start = training.state().get("beta").state();
        assertThat(start.keySet()).isEqualTo(state.keySet());
        state.forEach((name, values) -> assertThat(start.get(name)).as(name).containsExactly(values));

        Path run = tmp.resolve("run");
        PreferenceTraining.train(REGISTRY, config, run, Integer.MAX_VALUE, row -> { });
        assertThat(Runs.JSON.readTree(run.resolve(RunDirectory.CONFIG).toFile()).get("beta_from").asText())
                .isEqualTo(fit.toString());
        assertThat(Runs.JSON.readTree(run.resolve(RunDirectory.PROVENANCE).toFile()).get("beta_from")
                .get("sha256").asText()).hasSize(64);
    }

    @Test
    void aBetaSectionOtherThanTheFittedOneOrAMissingFitIsRefused() throws IOException {
        Path fit = fit(fittedState());
        assertThatThrownBy(() -> new PreferenceTraining(Runs.resolve(config(fit,
                Map.of("name", "softplus_mlp", "hidden", List.of(8))), REGISTRY), REGISTRY))
                .hasMessageStartingWith("field 'beta' must be the β fitted in " + fit);
        assertThatThrownBy(() -> new PreferenceTraining(Runs.resolve(config(tmp.resolve("nowhere"), SCHEME),
                REGISTRY), REGISTRY)).hasMessageStartingWith("field 'beta_from' names " + tmp.resolve("nowhere")
                + ", which holds no completed fit-beta run");
    }
}
