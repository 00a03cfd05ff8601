package betalab.optim;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.api.optim.Optimizer;
import betalab.api.preference.PreferenceObjective;
import betalab.api.registry.Extensions;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import com.google.inject.Module;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every step of torch.optim's Adam, AdamW and SGD on a float64 vector (reference/pytorch/optimizer_trace.py). */
class OptimizerGoldenTest {
    static final Map<String, Object> GOLDEN = Json.resource("/golden/optimizer-trace.json");

    /** A registry of this extension alone: the other extension points are declared empty. */
    static Registry registry() {
        Module rest = b -> {
            Extensions.losses(b);
            Extensions.betaEstimators(b);
            b.bind(PreferenceObjective.Assembler.class).toInstance((beta, loss) -> null);
        };
        return Registry.of(List.of(new OptimizersExtension(), rest));
    }

    static double[][] grads() {
        return Json.list(GOLDEN.get("grads")).stream().map(Json::doubles).toArray(double[][]::new);
    }

    static Stream<String> cases() {
        return Json.list(GOLDEN.get("cases")).stream().map(c -> (String) Json.map(c).get("name"));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesTorchEveryStep(String name) {
        Map<String, Object> c = Json.list(GOLDEN.get("cases")).stream().map(Json::map)
                .filter(m -> m.get("name").equals(name)).findFirst().orElseThrow();
        Tensor p = Tensor.of(DType.FLOAT64, Json.doubles(GOLDEN.get("initial")), 6).asParameter();
        Optimizer optimizer = registry().optimizer((String) c.get("optimizer"), knobs(Json.map(c.get("hyper"))),
                List.of(p));
        double[][] grads = grads();
        List<Object> expected = Json.list(c.get("params"));
        for (int t = 0; t < grads.length; t++) {
            // d/dp Σ p·g = g exactly, so backward() leaves torch's explicit gradient in p.grad()
            p.mul(Tensor.of(DType.FLOAT64, grads[t], 6)).sum().backward();
            optimizer.step();
            optimizer.zeroGrad();
            double[] want = Json.doubles(expected.get(t));
            double[] got = p.toDoubleArray();
            for (int i = 0; i < want.length; i++) {
                assertThat(Math.abs(got[i] - want[i])).as("%s step %d element %d: %s vs torch %s", name, t + 1, i,
                        got[i], want[i]).isLessThanOrEqualTo(1e-12 * Math.max(1, Math.abs(want[i])));
            }
        }
    }

    /** torch's hyper-parameter names to our knobs: betas is split into beta1 and beta2. */
    private static Map<String, Object> knobs(Map<String, Object> hyper) {
        Map<String, Object> knobs = new LinkedHashMap<>();
        hyper.forEach((k, v) -> {
            if (k.equals("betas")) {
                knobs.put("beta1", Json.list(v).get(0));
                knobs.put("beta2", Json.list(v).get(1));
            } else {
                knobs.put(k, v);
            }
        });
        return knobs;
    }
}
