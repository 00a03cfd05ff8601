package betalab.data.fit;

import betalab.api.random.Rng;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Shuffles a stream through a buffer of fixed size, as tf.data's shuffle does: once full, each new
 * item takes the place of a random held one, which is passed on; at the end the rest leave in random
 * order. Memory is the buffer's, whatever the stream's length; size 0 passes items straight through.
 */
final class Shuffler<T> implements Consumer<T> {
    private static final int DRAWS = 1024;

    private final List<T> held;
    private final int capacity;
    private final Rng rng;
    private final Consumer<T> next;
    private double[] draws = new double[0];
    private int used;

    Shuffler(int capacity, Rng rng, Consumer<T> next) {
        this.held = new ArrayList<>(Math.min(capacity, 1 << 16));
        this.capacity = capacity;
        this.rng = rng;
        this.next = next;
    }

    @Override
    public void accept(T item) {
        if (held.size() < capacity) {
            held.add(item);
        } else if (capacity == 0) {
            next.accept(item);
        } else {
            int j = index(capacity);
            T out = held.get(j);
            held.set(j, item);
            next.accept(out);
        }
    }

    /** Passes on what is held, in random order (Fisher–Yates from the back). */
    void drain() {
        for (int i = held.size() - 1; i >= 0; i--) {
            int j = index(i + 1);
            next.accept(held.get(j));
            held.set(j, held.get(i));
        }
        held.clear();
    }

    /** A uniform index in [0, bound), from draws taken in blocks: the generator is costly per call. */
    private int index(int bound) {
        if (used == draws.length) {
            draws = rng.uniform(DRAWS, 0, 1);
            used = 0;
        }
        return Math.min(bound - 1, (int) (draws[used++] * bound));
    }
}
