package betalab.api.registry;

import java.util.List;
import java.util.Objects;

/**
 * One tunable, declared once: its name, what it means, its type, its default and the values it
 * accepts. The declaration is also the key its value is read by ({@code settings.get(BETA0)}), so a
 * knob is written once, and {@code betalab list}, configs and run records all take it from here.
 *
 * @param <T> the type of its value: Double, Integer, Long, List of Integer, String or Boolean
 */
public final class Knob<T> {

    public enum Type { REAL, INTEGER, LONG, INTEGERS, TEXT, FLAG }

    private final String name;
    private final String description;
    private final Type type;
    private final T defaultValue;
    private final double min;
    private final boolean minInclusive;
    private final double max;
    private final boolean maxInclusive;
    private final List<String> choices;

    private Knob(String name, String description, Type type, T defaultValue, double min, boolean minInclusive,
                 double max, boolean maxInclusive, List<String> choices) {
        this.name = Objects.requireNonNull(name, "name");
        this.description = Objects.requireNonNull(description, "description");
        this.type = type;
        this.defaultValue = defaultValue;
        this.min = min;
        this.minInclusive = minInclusive;
        this.max = max;
        this.maxInclusive = maxInclusive;
        this.choices = List.copyOf(choices);
    }

    public static Knob<Double> real(String name, double defaultValue, String description) {
        return unbounded(name, description, Type.REAL, defaultValue, List.of());
    }

    public static Knob<Integer> integer(String name, int defaultValue, String description) {
        return unbounded(name, description, Type.INTEGER, defaultValue, List.of());
    }

    /** A whole number too wide for an int, such as a seed. */
    public static Knob<Long> longInteger(String name, long defaultValue, String description) {
        return unbounded(name, description, Type.LONG, defaultValue, List.of());
    }

    public static Knob<List<Integer>> integers(String name, List<Integer> defaultValue, String description) {
        return unbounded(name, description, Type.INTEGERS, List.copyOf(defaultValue), List.of());
    }

    /** Text, one of {@code choices} when any are given; a null default means "none" unless set. */
    public static Knob<String> text(String name, String defaultValue, String description, String... choices) {
        return unbounded(name, description, Type.TEXT, defaultValue, List.of(choices));
    }

    public static Knob<Boolean> flag(String name, boolean defaultValue, String description) {
        return unbounded(name, description, Type.FLAG, defaultValue, List.of());
    }

    private static <T> Knob<T> unbounded(String name, String description, Type type, T defaultValue,
                                         List<String> choices) {
        return new Knob<>(name, description, type, defaultValue, Double.NEGATIVE_INFINITY, true,
                Double.POSITIVE_INFINITY, true, choices);
    }

    /** Values (or, for a list, each element) must be &gt; 0. */
    public Knob<T> positive() {
        return new Knob<>(name, description, type, defaultValue, 0, false, max, maxInclusive, choices);
    }

    /** Values must lie in [lo, hi] ({@code hiInclusive} false for [lo, hi)). */
    public Knob<T> between(double lo, double hi, boolean hiInclusive) {
        return new Knob<>(name, description, type, defaultValue, lo, true, hi, hiInclusive, choices);
    }

    /** Values must be ≥ lo. */
    public Knob<T> atLeast(double lo) {
        return new Knob<>(name, description, type, defaultValue, lo, true, max, maxInclusive, choices);
    }

    /** The same knob with another default: a component that reuses a shared declaration with its own default. */
    public Knob<T> withDefault(T value) {
        return new Knob<>(name, description, type, value, min, minInclusive, max, maxInclusive, choices);
    }

    public String name() {
        return name;
    }

    public String description() {
        return description;
    }

    public Type type() {
        return type;
    }

    public T defaultValue() {
        return defaultValue;
    }

    public double min() {
        return min;
    }

    public boolean minInclusive() {
        return minInclusive;
    }

    public double max() {
        return max;
    }

    public boolean maxInclusive() {
        return maxInclusive;
    }

    public List<String> choices() {
        return choices;
    }

    /** A readable statement of the accepted range, or "" where anything of the type goes. */
    public String range() {
        if (!choices.isEmpty()) {
            return "one of " + String.join(", ", choices);
        }
        boolean lower = min != Double.NEGATIVE_INFINITY;
        boolean upper = max != Double.POSITIVE_INFINITY;
        if (!lower && !upper) {
            return "";
        }
        String lo = lower ? (minInclusive ? "≥ " : "> ") + fmt(min) : "";
        String hi = upper ? (maxInclusive ? "≤ " : "< ") + fmt(max) : "";
        return lower && upper ? lo + " and " + hi : lo + hi;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    @Override
    public String toString() {
        return name + " (" + type + ", default " + defaultValue + ")";
    }
}
