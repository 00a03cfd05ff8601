package betalab.data.fit;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.api.random.Rng;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ShufflerTest {

    private static List<Integer> shuffle(int capacity, int n, long seed) {
        List<Integer> out = new ArrayList<>();
        Shuffler<Integer> shuffler = new Shuffler<>(capacity, Rng.named("torch", seed), out::add);
        IntStream.range(0, n).forEach(shuffler::accept);
        shuffler.drain();
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 100, 5000})
    void passesEveryItemOnOnceInAnOrderFixedByTheSeed(int capacity) {
        List<Integer> out = shuffle(capacity, 1000, 3);

        assertThat(out).containsExactlyInAnyOrderElementsOf(IntStream.range(0, 1000).boxed().toList());
        assertThat(out).isEqualTo(shuffle(capacity, 1000, 3));
        if (capacity > 1) {
            assertThat(out).isNotEqualTo(IntStream.range(0, 1000).boxed().toList());
        }
    }

    @Test
    void sizeZeroKeepsTheOrder() {
        assertThat(shuffle(0, 10, 3)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    }
}
