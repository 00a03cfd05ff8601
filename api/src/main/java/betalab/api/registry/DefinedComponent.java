package betalab.api.registry;

import java.util.List;

/**
 * A component given by its description, its knobs and the class that defined it; the
 * {@code Provider.of} factories of every extension point build on it.
 */
public abstract class DefinedComponent implements Component {
    private final String description;
    private final List<Knob> knobs;
    private final Class<?> origin;

    protected DefinedComponent(String description, List<Knob> knobs, Class<?> origin) {
        this.description = description;
        this.knobs = List.copyOf(knobs);
        this.origin = origin;
    }

    /** The class that called the {@code Provider.of} factory which is calling this: the definer. */
    public static Class<?> definer() {
        return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
                .walk(frames -> frames.skip(2).findFirst().orElseThrow().getDeclaringClass());
    }

    @Override
    public final String description() {
        return description;
    }

    @Override
    public final List<Knob> knobs() {
        return knobs;
    }

    @Override
    public final Class<?> origin() {
        return origin;
    }
}
