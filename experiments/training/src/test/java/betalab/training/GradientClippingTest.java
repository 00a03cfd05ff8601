package betalab.training;

import static betalab.training.Runs.FIXED;
import static betalab.training.Runs.REGISTRY;
import static betalab.training.Runs.bandit;
import static betalab.training.Runs.json;
import static betalab.training.Runs.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Clipping as torch.nn.utils.clip_grad_norm_: g ← g·max/(‖g‖ + 1e-6) when the global norm exceeds max. */
class GradientClippingTest {

    /** Parameters with gradients (3, 4) and (12), global norm 13, and one without a gradient. */
    private static Map<String, Tensor> parameters() {
        Map<String, Tensor> p = new LinkedHashMap<>();
        p.put("a", withGradient(new double[] {1, -2}, new double[] {3, 4}));
        p.put("b", withGradient(new double[] {5}, new double[] {12}));
        p.put("frozen", Tensor.of(DType.FLOAT64, new double[] {7}, 1).asParameter());
        return p;
    }

    /** A parameter whose gradient is exactly {@code grad}: the gradient of Σ p·grad. */
    private static Tensor withGradient(double[] values, double[] grad) {
        Tensor p = Tensor.of(DType.FLOAT64, values, values.length).asParameter();
        p.mul(Tensor.of(DType.FLOAT64, grad, grad.length)).sum().backward();
        return p;
    }

    private static Progress clip(Map<String, Tensor> parameters, double max) {
        Progress progress = new Progress(parameters, null, 1, 1);
        progress.begin(1);
        new GradientClipping(max).afterBackward(progress);
        return progress;
    }

    @Test
    void aNormAboveTheMaximumScalesEveryGradientByMaxOverNormPlusEpsilon() {
        Map<String, Tensor> p = parameters();
        Progress progress = clip(p, 6.5);

        double scale = 6.5 / (13 + 1e-6);
        assertThat(progress.gradNorm()).isEqualTo(13.0); // measured before clipping
        assertThat(p.get("a").grad().toDoubleArray()).containsExactly(3 * scale, 4 * scale);
        assertThat(p.get("b").grad().toDoubleArray()).containsExactly(12 * scale);
        assertThat(p.get("frozen").grad()).isNull();
        // Values are left alone; only gradients are scaled.
        assertThat(p.get("a").toDoubleArray()).containsExactly(1, -2);
        // The clipped norm is max, short by the 1e-6 torch adds.
        assertThat(Math.sqrt(sq(p.get("a").grad()) + sq(p.get("b").grad()))).isCloseTo(6.5, within(1e-6));
    }

    @Test
    void aNormAtOrBelowTheMaximumOrNoMaximumLeavesGradientsUntouched() {
        for (double max : new double[] {13.5, 0.0}) {
            Map<String, Tensor> p = parameters();
            Progress progress = clip(p, max);
            assertThat(progress.gradNorm()).isEqualTo(13.0);
            assertThat(p.get("a").grad().toDoubleArray()).containsExactly(3, 4);
            assertThat(p.get("b").grad().toDoubleArray()).containsExactly(12);
        }
    }

    @Test
    void aNegativeOrInfiniteMaximumIsRefused() {
        assertThatThrownBy(() -> new GradientClipping(-1)).hasMessageContaining("≥ 0 and finite");
        assertThatThrownBy(() -> new GradientClipping(Double.POSITIVE_INFINITY)).hasMessageContaining("finite");
    }

    private static double sq(Tensor t) {
        double s = 0;
        for (double v : t.toDoubleArray()) {
            s += v * v;
        }
        return s;
    }

    // ------------------------------------------------------------------ in a training run

    /** One SGD step with lr 1: the parameters after it are p₀ − g (clipped). */
    private static Map<String, Object> oneStep(double gradClip) {
        Map<String, Object> c = bandit(1, FIXED, 0.0);
        c.put("optimizer", Map.of("name", "sgd", "lr", 1.0));
        c.put("grad_clip", gradClip);
        return c;
    }

    private static double[] weightAfter(Path dir) {
        JsonNode w = json(dir.resolve(RunDirectory.CHECKPOINT)).get("state").get("policy").get("weight");
        double[] out = new double[w.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = w.get(i).asDouble();
        }
        return out;
    }

    private static double gradNorm(Path dir) {
        return rows(dir).get(1).get("grad_norm").asDouble();
    }

    @Test
    void aRunClipsOnlyWhenTheNormExceedsTheMaximum(@TempDir Path dir) {
        double[] before = new PreferenceTraining(Runs.resolve(oneStep(0), REGISTRY), REGISTRY)
                .parameters().get("policy.weight").toDoubleArray();
        PreferenceTraining.train(REGISTRY, Runs.resolve(oneStep(0), REGISTRY), dir.resolve("free"), 1, r -> { });
        double[] free = weightAfter(dir.resolve("free"));
        double[] g = new double[free.length];
        double squares = 0;
        for (int i = 0; i < g.length; i++) {
            g[i] = before[i] - free[i];
            squares += g[i] * g[i];
        }
        double norm = Math.sqrt(squares);
        // grad_norm is the norm of the gradient the unclipped step took.
        assertThat(gradNorm(dir.resolve("free"))).isCloseTo(norm, within(1e-5 * norm));
        assertThat(norm).isGreaterThan(1e-3);

        // Above the norm: the same run, row for row and weight for weight.
        PreferenceTraining.train(REGISTRY, Runs.resolve(oneStep(2 * norm), REGISTRY), dir.resolve("loose"), 1,
                r -> { });
        assertThat(rows(dir.resolve("loose"))).isEqualTo(rows(dir.resolve("free")));
        assertThat(weightAfter(dir.resolve("loose"))).containsExactly(free);

        // Below it: p₁ = p₀ − g·max/(‖g‖ + 1e-6), and grad_norm still the norm before clipping.
        double max = norm / 4;
        PreferenceTraining.train(REGISTRY, Runs.resolve(oneStep(max), REGISTRY), dir.resolve("tight"), 1, r -> { });
        double logged = gradNorm(dir.resolve("tight"));
        assertThat(logged).isEqualTo(gradNorm(dir.resolve("free")));
        double[] expected = new double[g.length];
        for (int i = 0; i < g.length; i++) {
            expected[i] = before[i] - g[i] * max / (logged + 1e-6);
        }
        assertThat(weightAfter(dir.resolve("tight"))).containsExactly(expected, within(1e-6));
        assertThat(weightAfter(dir.resolve("tight"))).isNotEqualTo(free);
    }
}
