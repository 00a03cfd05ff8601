package betalab.optim;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.api.optim.Optimizer;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every step of torch.optim's Adam, AdamW and SGD on a float64 vector (reference/pytorch/optimizer_trace.py). */
class OptimizerGoldenTest {
    static final JsonNode GOLDEN = read("/golden/optimizer-trace.json");

    /** A registry of this extension alone: the other extension points stay empty. */
    static Registry registry() {
        return Registry.of(List.of(new OptimizersExtension()));
    }

    private static JsonNode read(String resource) {
        try (InputStream in = OptimizerGoldenTest.class.getResourceAsStream(resource)) {
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    /** The twelve gradients every case is fed, step by step. */
    static double[][] grads() {
        JsonNode grads = GOLDEN.get("grads");
        double[][] out = new double[grads.size()][];
        for (int t = 0; t < out.length; t++) {
            out[t] = doubles(grads.get(t));
        }
        return out;
    }

    static Stream<String> cases() {
        return StreamSupport.stream(GOLDEN.get("cases").spliterator(), false).map(c -> c.get("name").asText());
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesTorchEveryStep(String name) {
        JsonNode c = StreamSupport.stream(GOLDEN.get("cases").spliterator(), false)
                .filter(m -> m.get("name").asText().equals(name)).findFirst().orElseThrow();
        Tensor p = Tensor.of(DType.FLOAT64, doubles(GOLDEN.get("initial")), 6).asParameter();
        Optimizer optimizer = registry().create(Optimizer.POINT, c.get("optimizer").asText(), knobs(c.get("hyper")),
                List.of(p));
        double[][] grads = grads();
        for (int t = 0; t < grads.length; t++) {
            // d/dp Σ p·g = g exactly, so backward() leaves torch's explicit gradient in p.grad()
            p.mul(Tensor.of(DType.FLOAT64, grads[t], 6)).sum().backward();
            optimizer.step();
            optimizer.zeroGrad();
            double[] want = doubles(c.get("params").get(t));
            double[] got = p.toDoubleArray();
            for (int i = 0; i < want.length; i++) {
                assertThat(Math.abs(got[i] - want[i])).as("%s step %d element %d: %s vs torch %s", name, t + 1, i,
                        got[i], want[i]).isLessThanOrEqualTo(1e-12 * Math.max(1, Math.abs(want[i])));
            }
        }
    }

    /** torch's hyper-parameter names to our knobs: betas is split into beta1 and beta2. */
    private static Map<String, Object> knobs(JsonNode hyper) {
        Map<String, Object> knobs = new LinkedHashMap<>();
        hyper.fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            if (e.getKey().equals("betas")) {
                knobs.put("beta1", v.get(0).asDouble());
                knobs.put("beta2", v.get(1).asDouble());
            } else {
                knobs.put(e.getKey(), v.isBoolean() ? v.asBoolean() : v.asDouble());
            }
        });
        return knobs;
    }
}
