package betalab.api.registry;

import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Makes one named implementation of an extension point from its resolved knobs and what the point
 * gives every implementation (its context: input widths, a generator, parameters to optimise…).
 *
 * @param <T> what it makes
 * @param <C> the context the extension point passes
 */
public interface Provider<T, C> extends Component {

    T create(Settings settings, C context);

    /** A provider from its description, its knobs and how it builds from them and the context. */
    static <T, C> Provider<T, C> of(String description, List<? extends Knob<?>> knobs,
                                    BiFunction<Settings, C, ? extends T> factory) {
        return new Defined<>(description, knobs, definer(), factory);
    }

    /** A provider whose implementations need no context. */
    static <T, C> Provider<T, C> of(String description, List<? extends Knob<?>> knobs,
                                    Function<Settings, ? extends T> factory) {
        return new Defined<>(description, knobs, definer(), (settings, context) -> factory.apply(settings));
    }

    /** The first class on the call stack outside this package: the extension that defined the provider. */
    private static Class<?> definer() {
        String here = Provider.class.getPackageName();
        return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
                .walk(frames -> frames.map(StackWalker.StackFrame::getDeclaringClass)
                        .filter(c -> !c.getPackageName().equals(here)).findFirst().orElse(Provider.class));
    }

    /** A provider given by its parts. */
    final class Defined<T, C> implements Provider<T, C> {
        private final String description;
        private final List<Knob<?>> knobs;
        private final Class<?> origin;
        private final BiFunction<Settings, C, ? extends T> factory;

        Defined(String description, List<? extends Knob<?>> knobs, Class<?> origin,
                BiFunction<Settings, C, ? extends T> factory) {
            this.description = description;
            this.knobs = List.copyOf(knobs);
            this.origin = origin;
            this.factory = factory;
        }

        @Override
        public T create(Settings settings, C context) {
            return factory.apply(settings, context);
        }

        @Override
        public String description() {
            return description;
        }

        @Override
        public List<Knob<?>> knobs() {
            return knobs;
        }

        @Override
        public Class<?> origin() {
            return origin;
        }
    }
}
