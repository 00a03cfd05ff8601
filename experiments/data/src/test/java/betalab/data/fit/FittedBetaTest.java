package betalab.data.fit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.random.Rng;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import betalab.training.RunDirectory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A fitted β, loaded from its run directory, is the β the fit ended with; anything else is refused on one line. */
class FittedBetaTest {
    private static final Registry REGISTRY = Registry.discover();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static Path run;
    /** Each pair's prompt and features, by line. */
    private static final List<String> PROMPTS = new ArrayList<>();
    private static final List<double[]> FEATURES = new ArrayList<>();

    @BeforeAll
    static void fit() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= 16; i++) {
            double[] x = {i % 3 - 1, 0.1 * i};
            PROMPTS.add("p" + i);
            FEATURES.add(x);
            lines.add("{\"prompt\": \"p" + i + "\", \"chosen\": \"a\", \"rejected\": \"b\", \"policy_chosen_logps\": "
                    + (-0.5 - i % 5) + ", \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1.5, "
                    + "\"ref_rejected_logps\": -1.5, \"x\": [" + x[0] + ", " + x[1] + "]}");
        }
        Path data = Files.write(dir.resolve("pairs.jsonl"), lines);
        Path config = Files.writeString(dir.resolve("fit.yaml"), "data: {path: " + data + ", features: x}\n"
                + "epochs: 3\nbatch_size: 4\nvalidation_fraction: 0.3\nbeta: {name: softplus_mlp, hidden: [3]}\n"
                + "loss: {name: sigmoid}\noptimizer: {name: adam, lr: 0.05}\n");
        run = dir.resolve("run");
        BetaFitter.fit(REGISTRY, BetaFitter.read(config, REGISTRY), run, row -> { });
    }

    @Test
    void isTheSchemeTheFitEndedWith() throws IOException {
        FittedBeta fitted = FittedBeta.load(run, REGISTRY);

        assertThat(fitted.scheme()).isEqualTo("softplus_mlp");
        assertThat(fitted.knobs()).containsEntry("hidden", List.of(3));
        assertThat(List.of(fitted.featureDim(), fitted.batchSize())).containsExactly(2, 4);
        assertThat(fitted.featureField()).isEqualTo("x");
        assertThat(fitted.hasLengths() || fitted.hasPrompt()).isFalse();
        // Its β on the held-out pairs averages to the fit's last evaluation of them.
        List<double[]> held = new ArrayList<>();
        for (int i = 0; i < PROMPTS.size(); i++) {
            if (BetaFitter.isValidation(PROMPTS.get(i), 0.3)) {
                held.add(FEATURES.get(i));
            }
        }
        assertThat(held).isNotEmpty();
        double[] x = new double[2 * held.size()];
        for (int i = 0; i < held.size(); i++) {
            System.arraycopy(held.get(i), 0, x, 2 * i, 2);
        }
        Tensor zeros = Tensor.zeros(DType.FLOAT64, held.size());
        double[] beta = fitted.create().beta(PreferenceBatch.of(zeros, zeros, zeros, zeros)
                .features(Tensor.of(x, held.size(), 2)).build()).toDoubleArray();
        double mean = 0;
        for (double b : beta) {
            mean += b / beta.length;
        }
        JsonNode lastEval = JSON.readTree(run.resolve(RunDirectory.SUMMARY).toFile()).get("last_eval");
        assertThat(mean).isCloseTo(lastEval.get("eval/beta/mean").asDouble(), within(1e-6));
    }

    @Test
    void refusesAContextWithOtherPromptFeatures() {
        FittedBeta fitted = FittedBeta.load(run, REGISTRY);
        BetaEstimator.Context three = new BetaEstimator.Context(3, 0, Rng.named("torch", 0), DType.FLOAT32);
        BetaEstimator.Context none = new BetaEstimator.Context(0, 16, Rng.named("torch", 0), DType.FLOAT32);

        assertThatThrownBy(() -> fitted.create(three)).hasMessage("the β fitted in " + run
                + " (softplus_mlp) reads 2 prompt features, but 3 are given");
        assertThatThrownBy(() -> fitted.create(none)).hasMessage("the β fitted in " + run
                + " (softplus_mlp) reads 2 prompt features, but none are given");
    }

    @Test
    void refusesWhatIsNoCompletedFitOnOneLine() throws IOException {
        Path absent = dir.resolve("absent");
        assertThatThrownBy(() -> FittedBeta.load(absent, REGISTRY)).hasMessage(absent
                + " is no run directory: no such directory");

        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> FittedBeta.load(empty, REGISTRY)).hasMessage(empty + " holds no run (no config.json)");

        Path training = Files.createDirectories(dir.resolve("training"));
        Files.writeString(training.resolve(RunDirectory.CONFIG), "{\"seed\": 0, \"task\": {\"name\": \"bandit\"}}");
        assertThatThrownBy(() -> FittedBeta.load(training, REGISTRY)).hasMessage(training
                + " holds no fit-beta run: its config.json is a training run's");

        Path stopped = dir.resolve("stopped");
        BetaFitter.fit(REGISTRY, BetaFitter.read(run.resolve(RunDirectory.CONFIG), REGISTRY), stopped, 2, row -> { });
        assertThatThrownBy(() -> FittedBeta.load(stopped, REGISTRY)).hasMessage(stopped + " has no beta.json: the fit "
                + "has not completed (status 'interrupted'); finish it with betalab fit-beta --resume " + stopped);
    }

    @Test
    void refusesAStateThatIsNotTheSchemes() throws IOException {
        Path copy = Files.createDirectories(dir.resolve("copy"));
        for (String file : List.of(RunDirectory.CONFIG, RunDirectory.SUMMARY)) {
            Files.copy(run.resolve(file), copy.resolve(file));
        }
        Map<String, double[]> state = JSON.readValue(run.resolve(RunDirectory.FITTED_BETA).toFile(),
                new com.fasterxml.jackson.core.type.TypeReference<Map<String, double[]>>() { });
        state.put("head.mlp.layer0.weight", new double[] {1});
        JSON.writeValue(copy.resolve(RunDirectory.FITTED_BETA).toFile(), state);

        assertThatThrownBy(() -> FittedBeta.load(copy, REGISTRY)).hasMessage(copy.resolve(RunDirectory.FITTED_BETA)
                + ": saved state entry 'head.mlp.layer0.weight' holds 1 numbers, expected 6 (does it belong to this "
                + "run's config.json?)");
    }
}
