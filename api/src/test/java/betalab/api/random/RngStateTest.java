package betalab.api.random;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RngStateTest {

    @ParameterizedTest
    @ValueSource(strings = {"torch", "java"})
    void restoredGeneratorContinuesTheSameStream(String kind) {
        Rng original = Rng.named(kind, 11);
        original.normal(37);
        original.normal(3); // leaves a cached normal on torch's small-tensor path
        Map<String, double[]> saved = original.state();
        double[] expected = original.normal(50);

        Rng restored = Rng.named(kind, 999);
        restored.loadState(saved);
        assertThat(restored.normal(50)).containsExactly(expected);
        assertThat(restored.uniform(5, -1, 1)).containsExactly(original.uniform(5, -1, 1));
    }
}
