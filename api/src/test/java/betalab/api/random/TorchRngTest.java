package betalab.api.random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.nn.Linear;
import betalab.api.tensor.DType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** TorchRng against values drawn by PyTorch 1.13 (reference/pytorch/rng_vectors.py). */
class TorchRngTest {

    @Test
    void drawsWhatPyTorchDraws() throws IOException {
        JsonNode cases;
        try (InputStream in = getClass().getResourceAsStream("/golden/torch-rng.json")) {
            cases = new ObjectMapper().readTree(in);
        }
        int checked = 0;
        for (JsonNode testCase : cases) {
            TorchRng rng = new TorchRng(testCase.get("seed").asLong());
            for (JsonNode draw : testCase.get("calls")) {
                String op = draw.get("op").asText();
                if (op.equals("linear")) {
                    Linear layer = new Linear(draw.get("in").asInt(), draw.get("out").asInt(), rng, DType.FLOAT32);
                    assertClose(layer.weight().toDoubleArray(), flat(draw.get("weight")), op);
                    assertClose(layer.bias().toDoubleArray(), flat(draw.get("bias")), op);
                } else {
                    int n = draw.get("n").asInt();
                    double[] actual = op.equals("rand") ? rng.uniform(n, 0, 1) : rng.normal(n);
                    assertClose(actual, flat(draw.get("values")), op + " " + n);
                }
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(15);
    }

    /** The numbers of a possibly nested array, row-major. */
    private static double[] flat(JsonNode node) {
        if (!node.isArray()) {
            return new double[] {node.asDouble()};
        }
        return java.util.stream.StreamSupport.stream(node.spliterator(), false)
                .flatMapToDouble(child -> java.util.Arrays.stream(flat(child))).toArray();
    }

    private static void assertClose(double[] actual, double[] expected, String what) {
        assertThat(actual).as(what).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as(what + " [" + i + "]").isCloseTo(expected[i], within(2e-6));
        }
    }

    @Test
    void sameSeedSameStream() {
        assertThat(new TorchRng(7).normal(40)).containsExactly(new TorchRng(7).normal(40));
        assertThat(new JavaRng(7).normal(5)).containsExactly(new JavaRng(7).normal(5));
        assertThat(new JavaRng(7).normal(5)).isNotEqualTo(new JavaRng(8).normal(5));
    }
}
