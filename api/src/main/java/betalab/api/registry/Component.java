package betalab.api.registry;

import java.util.List;

/** What every named implementation tells about itself: one line of description and its knobs. */
public interface Component {
    String description();

    default List<Knob> knobs() {
        return List.of();
    }
}
