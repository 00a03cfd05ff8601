package betalab.seed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.registry.Registry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The seed experiment against its own PyTorch script (reference/pytorch/seed_experiment.py, torch
 * 1.13): same data, same initial weights, and after training the same β(x) to 4 decimals.
 */
class SeedGoldenTest {
    private static final Registry REGISTRY = Registry.discover();

    @ParameterizedTest
    @ValueSource(strings = {"seed-42", "seed-0", "seed-7", "seed-123", "seed-5-n10-d3-h4"})
    void reproducesPyTorch(String golden) throws IOException {
        JsonNode expected;
        try (InputStream in = getClass().getResourceAsStream("/golden/" + golden + ".json")) {
            expected = new ObjectMapper().readTree(in);
        }
        SeedConfig config = new SeedConfig(expected.get("seed").asLong(), expected.get("epochs").asInt(),
                expected.get("samples").asInt(), expected.get("dim").asInt(), List.of(expected.get("hidden").asInt()),
                expected.get("lr").asDouble(), "torch", "softplus_mlp", "sigmoid", "adam");

        SeedResult result = new SeedExperiment(REGISTRY).run(config, (epoch, loss) -> { });

        assertClose(result.delta(), doubles(expected.get("delta")), 1e-6, "delta");
        assertClose(result.loss(), doubles(expected.get("loss")), 5e-5, "loss");
        assertClose(result.beta(), doubles(expected.get("beta")), 5e-5, "beta");
        assertThat(result.meanBetaPos()).isCloseTo(expected.get("mean_beta_pos").asDouble(), within(5e-5));
        assertThat(result.meanBetaNeg()).isCloseTo(expected.get("mean_beta_neg").asDouble(), within(5e-5));
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    private static void assertClose(double[] actual, double[] expected, double tolerance, String what) {
        assertThat(actual).as(what).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as(what + "[" + i + "]").isCloseTo(expected[i], within(tolerance));
        }
    }
}
