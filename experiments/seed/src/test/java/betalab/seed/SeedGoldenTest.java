package betalab.seed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.registry.Registry;
import betalab.training.Config;
import betalab.training.ConfigTree;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
    void reproducesPyTorch(String golden) throws URISyntaxException {
        Map<String, Object> expected = ConfigTree.read(Path.of(getClass().getResource("/golden/" + golden + ".json")
                .toURI())).root();
        Config config = SeedExperiment.SCHEMA.resolve(ConfigTree.of(Map.of(
                "seed", expected.get("seed"), "epochs", expected.get("epochs"), "samples", expected.get("samples"),
                "dim", expected.get("dim"), "rng", "torch",
                "beta", Map.of("name", "softplus_mlp", "hidden", List.of(expected.get("hidden"))),
                "loss", Map.of("name", "sigmoid"),
                "optimizer", Map.of("name", "adam", "lr", expected.get("lr"))), null), REGISTRY);

        SeedResult result = SeedExperiment.run(REGISTRY, config, (epoch, loss) -> { });

        assertClose(result.delta(), doubles(expected.get("delta")), 1e-6, "delta");
        assertClose(result.loss(), doubles(expected.get("loss")), 5e-5, "loss");
        assertClose(result.beta(), doubles(expected.get("beta")), 5e-5, "beta");
        assertThat(result.meanBetaPos()).isCloseTo(number(expected.get("mean_beta_pos")), within(5e-5));
        assertThat(result.meanBetaNeg()).isCloseTo(number(expected.get("mean_beta_neg")), within(5e-5));
    }

    private static double number(Object value) {
        return ((Number) value).doubleValue();
    }

    private static double[] doubles(Object list) {
        List<?> array = (List<?>) list;
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = number(array.get(i));
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
