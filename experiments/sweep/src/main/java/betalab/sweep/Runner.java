package betalab.sweep;

import betalab.api.registry.Registry;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;

/**
 * Runs one kind of experiment into a run directory. Every run directory ends with a
 * {@code summary.json} whose {@code status} is "completed" only when the run finished, and whose
 * {@code last_eval} holds its final metrics; {@code metrics.jsonl} holds one row per step.
 *
 * @param <C> the resolved config of one run
 */
interface Runner<C> {

    static Runner<?> of(Kind kind, Registry registry) {
        return switch (kind) {
            case TRAIN -> new TrainRunner(registry);
            case SEED -> new SeedRunner(registry);
        };
    }

    /** The run's config tree checked and resolved; an IllegalArgumentException of one line when it is not valid. */
    C resolve(ObjectNode tree);

    /** The config a run directory was made from, or null when it holds none that reads. */
    C stored(Path dir);

    /** Runs into {@code dir}, which holds no run; throws when the run fails. */
    void run(C config, Path dir);
}
