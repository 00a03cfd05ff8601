package betalab.api.registry;

import java.util.List;

/**
 * One tunable of a component, declared once: its name, what it means, its type, its default and
 * the values it accepts. Settings are checked against knobs before a component is built.
 */
public record Knob(String name, String description, Type type, Object defaultValue,
                   double min, boolean minInclusive, double max, boolean maxInclusive, List<String> choices) {

    public enum Type { REAL, INTEGER, INTEGERS, TEXT, FLAG }

    public static Knob real(String name, double defaultValue, String description) {
        return unbounded(name, description, Type.REAL, defaultValue, List.of());
    }

    public static Knob integer(String name, int defaultValue, String description) {
        return unbounded(name, description, Type.INTEGER, defaultValue, List.of());
    }

    public static Knob integers(String name, List<Integer> defaultValue, String description) {
        return unbounded(name, description, Type.INTEGERS, List.copyOf(defaultValue), List.of());
    }

    public static Knob text(String name, String defaultValue, String description, String... choices) {
        return unbounded(name, description, Type.TEXT, defaultValue, List.of(choices));
    }

    public static Knob flag(String name, boolean defaultValue, String description) {
        return unbounded(name, description, Type.FLAG, defaultValue, List.of());
    }

    private static Knob unbounded(String name, String description, Type type, Object defaultValue,
                                  List<String> choices) {
        return new Knob(name, description, type, defaultValue, Double.NEGATIVE_INFINITY, true,
                Double.POSITIVE_INFINITY, true, choices);
    }

    /** Values (or, for a list, each element) must be &gt; 0. */
    public Knob positive() {
        return new Knob(name, description, type, defaultValue, 0, false, max, maxInclusive, choices);
    }

    /** Values must lie in [lo, hi] ({@code hiInclusive} false for [lo, hi)). */
    public Knob between(double lo, double hi, boolean hiInclusive) {
        return new Knob(name, description, type, defaultValue, lo, true, hi, hiInclusive, choices);
    }

    /** Values must be ≥ lo. */
    public Knob atLeast(double lo) {
        return new Knob(name, description, type, defaultValue, lo, true, max, maxInclusive, choices);
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
}
