package betalab.api.registry;

import com.google.inject.Binder;
import com.google.inject.Key;
import com.google.inject.TypeLiteral;
import com.google.inject.multibindings.MapBinder;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.name.Names;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * A kind of named, pluggable component (a loss, a β scheme, a policy, an optimizer, a task): its
 * name in configs and messages, the context every implementation is built with, and knobs every
 * implementation takes besides its own. An extension binds implementations to it by name; the
 * {@link Registry} builds them by name. Declaring a new point is one constant on its interface.
 *
 * @param <T> what its implementations are
 * @param <C> the context they are built with
 */
public final class ExtensionPoint<T, C> {
    static final TypeLiteral<Provider<?, ?>> PROVIDER = new TypeLiteral<>() { };
    static final TypeLiteral<Map<String, Provider<?, ?>>> PROVIDERS = new TypeLiteral<>() { };
    static final TypeLiteral<ExtensionPoint<?, ?>> POINT = new TypeLiteral<>() { };
    static final TypeLiteral<java.util.Set<ExtensionPoint<?, ?>>> POINTS = new TypeLiteral<>() { };

    private final String kind;
    private final String title;
    private final Class<?> type;
    private final List<Knob<?>> commonKnobs;
    private final BiFunction<T, Settings, T> finish;

    private ExtensionPoint(String kind, String title, Class<?> type, List<? extends Knob<?>> commonKnobs,
                           BiFunction<T, Settings, T> finish) {
        this.kind = kind;
        this.title = title;
        this.type = type;
        this.commonKnobs = List.copyOf(commonKnobs);
        this.finish = finish;
    }

    /**
     * A point named {@code kind} ("loss") whose implementations are {@code type}s; {@code title}
     * ("Losses") heads its section in {@code betalab list}.
     */
    public static <T, C> ExtensionPoint<T, C> of(String kind, String title, Class<? super T> type) {
        return new ExtensionPoint<>(kind, title, type, List.of(), (made, settings) -> made);
    }

    /**
     * This point where every implementation also takes {@code knobs}, applied by {@code finish} to
     * what the implementation made (β's {@code detach} and {@code beta_penalty}, for example).
     */
    public ExtensionPoint<T, C> withCommonKnobs(List<? extends Knob<?>> knobs, BiFunction<T, Settings, T> finish) {
        return new ExtensionPoint<>(kind, title, type, knobs, finish);
    }

    /** Binds {@code provider} under {@code name}; a name bound twice fails when the registry is built. */
    public void bind(Binder binder, String name, Provider<? extends T, ? super C> provider) {
        providers(binder).addBinding(name).toInstance(provider);
    }

    /** Binds a provider made from its description, knobs and factory under {@code name}. */
    public void bind(Binder binder, String name, String description, List<? extends Knob<?>> knobs,
                     BiFunction<Settings, C, ? extends T> factory) {
        bind(binder, name, new Provider.Defined<T, C>(description, knobs, originOf(factory), factory));
    }

    /**
     * Binds a provider that Guice constructs (through its {@code @Inject} constructor) under
     * {@code name}: for a provider that reads the other implementations of this point.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public void bind(Binder binder, String name, Class<? extends Provider<? extends T, ? super C>> type) {
        providers(binder).addBinding(name).to((Class) type);
    }

    /** The Guice key of this point's implementations by name, for a provider that reads the others. */
    public Key<Map<String, Provider<?, ?>>> providersKey() {
        return Key.get(PROVIDERS, Names.named(key()));
    }

    /** Declares this point in {@code binder}, with no implementation yet. */
    void declare(Binder binder) {
        providers(binder);
    }

    private MapBinder<String, Provider<?, ?>> providers(Binder binder) {
        Multibinder.newSetBinder(binder, POINT).permitDuplicates().addBinding().toInstance(this);
        return MapBinder.newMapBinder(binder, TypeLiteral.get(String.class), PROVIDER, Names.named(key()));
    }

    private String key() {
        return "betalab." + kind;
    }

    private static Class<?> originOf(Object factory) {
        // A lambda's class is synthesised in the class that wrote it, whose name it starts with.
        String name = factory.getClass().getName();
        int cut = name.indexOf("$$Lambda");
        if (cut > 0) {
            try {
                return Class.forName(name.substring(0, cut), false, factory.getClass().getClassLoader());
            } catch (ClassNotFoundException e) {
                return factory.getClass();
            }
        }
        return factory.getClass();
    }

    /** How configs and messages name this point: "loss", "beta", "policy", "optimizer", "task". */
    public String kind() {
        return kind;
    }

    /** The heading of its section in listings. */
    public String title() {
        return title;
    }

    /** What its implementations are. */
    public Class<?> type() {
        return type;
    }

    /** Knobs every implementation takes besides its own. */
    public List<Knob<?>> commonKnobs() {
        return commonKnobs;
    }

    /** Every knob {@code provider} accepts at this point: its own, then the common ones. */
    public List<Knob<?>> knobs(Component provider) {
        List<Knob<?>> all = new ArrayList<>(provider.knobs());
        all.addAll(commonKnobs);
        return all;
    }

    T finish(T made, Settings settings) {
        return finish.apply(made, settings);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExtensionPoint<?, ?> p && p.kind.equals(kind);
    }

    @Override
    public int hashCode() {
        return kind.hashCode();
    }

    @Override
    public String toString() {
        return kind;
    }
}
