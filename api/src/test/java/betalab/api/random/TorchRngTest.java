package betalab.api.random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.nn.Linear;
import betalab.api.tensor.DType;
import betalab.api.testing.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** TorchRng against values drawn by PyTorch 1.13 (reference/pytorch/rng_vectors.py). */
class TorchRngTest {

    @Test
    void drawsWhatPyTorchDraws() {
        List<Object> cases = Json.list(Json.parse(Json.resource(getClass(), "/golden/torch-rng.json")));
        int checked = 0;
        for (Object c : cases) {
            Map<String, Object> testCase = Json.map(c);
            TorchRng rng = new TorchRng(Json.number(testCase.get("seed")).longValue());
            for (Object call : Json.list(testCase.get("calls"))) {
                Map<String, Object> draw = Json.map(call);
                String op = (String) draw.get("op");
                if (op.equals("linear")) {
                    int in = Json.number(draw.get("in")).intValue();
                    int out = Json.number(draw.get("out")).intValue();
                    Linear layer = new Linear(in, out, rng, DType.FLOAT32);
                    assertClose(layer.weight().toDoubleArray(), Json.flatDoubles(draw.get("weight")), op);
                    assertClose(layer.bias().toDoubleArray(), Json.flatDoubles(draw.get("bias")), op);
                } else {
                    int n = Json.number(draw.get("n")).intValue();
                    double[] actual = op.equals("rand") ? rng.uniform(n, 0, 1) : rng.normal(n);
                    assertClose(actual, Json.flatDoubles(draw.get("values")), op + " " + n);
                }
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(15);
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
