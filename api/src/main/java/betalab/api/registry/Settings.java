package betalab.api.registry;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The values of a component's knobs, checked once when made: an unknown name, a value of the
 * wrong type or out of range fails with a message naming the component and the knob.
 */
public final class Settings {
    private final String owner;
    private final List<Knob<?>> knobs;
    private final Map<String, Object> values;

    private Settings(String owner, List<Knob<?>> knobs, Map<String, Object> values) {
        this.owner = owner;
        this.knobs = knobs;
        this.values = values;
    }

    /**
     * Resolves {@code given} (strings, numbers, booleans or lists, as read from a command line or a
     * config file) against the knobs, filling defaults. {@code owner} names the component in errors.
     */
    public static Settings resolve(String owner, List<? extends Knob<?>> knobs, Map<String, ?> given) {
        Map<String, Knob<?>> byName = knobs.stream().collect(Collectors.toMap(Knob::name, k -> k, (a, b) -> a,
                LinkedHashMap::new));
        for (String name : given.keySet()) {
            if (!byName.containsKey(name)) {
                throw new Invalid(owner, name, "is not a knob of " + owner
                        + (byName.isEmpty() ? " (it has none)" : "; known: " + String.join(", ", byName.keySet())),
                        owner + ": unknown knob '" + name + "'"
                        + (byName.isEmpty() ? " (it has none)" : "; known: " + String.join(", ", byName.keySet())));
            }
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (Knob<?> k : byName.values()) {
            // An explicit null (as a config file may hold) takes the default, as an absent value does.
            Object raw = given.get(k.name()) != null ? given.get(k.name()) : k.defaultValue();
            values.put(k.name(), raw == null ? null : convert(owner, k, raw));
        }
        return new Settings(owner, List.copyOf(byName.values()), Collections.unmodifiableMap(values));
    }

    public static Settings defaults(String owner, List<? extends Knob<?>> knobs) {
        return resolve(owner, knobs, Map.of());
    }

    /** The component these settings are for, as errors name it ("optimizer 'sgd'"). */
    public String owner() {
        return owner;
    }

    /** The value of this knob, declared by the component these settings were resolved for. */
    @SuppressWarnings("unchecked")
    public <T> T get(Knob<T> knob) {
        return (T) get(knob.name());
    }

    /** Whether a knob of this name was resolved here. */
    public boolean has(String name) {
        return values.containsKey(name);
    }

    public double real(String name) {
        return ((Number) get(name)).doubleValue();
    }

    public int integer(String name) {
        return ((Number) get(name)).intValue();
    }

    public long longInteger(String name) {
        return ((Number) get(name)).longValue();
    }

    @SuppressWarnings("unchecked")
    public List<Integer> integers(String name) {
        return (List<Integer>) get(name);
    }

    public String text(String name) {
        return (String) get(name);
    }

    public boolean flag(String name) {
        return (Boolean) get(name);
    }

    /** The knobs these settings were resolved against, in declaration order. */
    public List<Knob<?>> knobs() {
        return knobs;
    }

    /** Every knob's resolved value, in declaration order: what provenance records. */
    public Map<String, Object> asMap() {
        return values;
    }

    private Object get(String name) {
        if (!values.containsKey(name)) {
            throw new IllegalArgumentException(owner + " has no knob '" + name + "'");
        }
        return values.get(name);
    }

    private static Object convert(String owner, Knob<?> k, Object raw) {
        String where = owner + ": knob '" + k.name() + "'";
        try {
            Object value = switch (k.type()) {
                case REAL -> checkRange(where, k, toFinite(owner, k, raw));
                case INTEGER -> (int) checkRange(where, k, toInteger(raw));
                case LONG -> toLong(where, k, raw);
                case INTEGERS -> toIntegers(where, k, raw);
                case TEXT -> checkChoice(where, k, raw.toString());
                case FLAG -> toFlag(raw);
            };
            return value;
        } catch (NumberFormatException | ClassCastException e) {
            throw new Invalid(owner, k.name(), "expects " + describe(k.type()) + ", got '" + raw + "'");
        }
    }

    /**
     * A real knob's value: finite, and within float32's range, since training runs in float32 and a
     * value beyond it would surface later as a non-finite loss far from its cause.
     */
    private static double toFinite(String owner, Knob<?> k, Object raw) {
        double v = toDouble(raw);
        if (!Double.isFinite(v) || Math.abs(v) > Float.MAX_VALUE) {
            throw new Invalid(owner, k.name(), "must be a finite number within float32's range (|x| ≤ "
                    + Float.MAX_VALUE + "), got " + raw);
        }
        return v;
    }

    private static double toDouble(Object raw) {
        return raw instanceof Number n ? n.doubleValue() : Double.parseDouble(raw.toString().trim());
    }

    private static double toInteger(Object raw) {
        double v = toDouble(raw);
        if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
            throw new NumberFormatException();
        }
        return v;
    }

    private static long toLong(String where, Knob<?> k, Object raw) {
        long v;
        if (raw instanceof Long || raw instanceof Integer || raw instanceof Short) {
            v = ((Number) raw).longValue();
        } else if (raw instanceof Number n) {
            double d = n.doubleValue();
            if (d != Math.rint(d) || Math.abs(d) >= 0x1p63) {
                throw new NumberFormatException();
            }
            v = (long) d;
        } else {
            v = Long.parseLong(raw.toString().trim());
        }
        checkRange(where, k, v);
        return v;
    }

    private static List<Integer> toIntegers(String where, Knob<?> k, Object raw) {
        List<?> items;
        if (raw instanceof List<?> l) {
            items = l;
        } else {
            String s = raw.toString().trim();
            items = s.isEmpty() ? List.of() : List.of(s.split("\\s*,\\s*"));
        }
        List<Integer> out = new ArrayList<>();
        for (Object item : items) {
            out.add((int) checkRange(where, k, toInteger(item)));
        }
        return List.copyOf(out);
    }

    private static boolean toFlag(Object raw) {
        if (raw instanceof Boolean b) {
            return b;
        }
        return switch (raw.toString().trim()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new NumberFormatException();
        };
    }

    private static double checkRange(String where, Knob<?> k, double v) {
        boolean ok = !Double.isNaN(v) && (k.minInclusive() ? v >= k.min() : v > k.min())
                && (k.maxInclusive() ? v <= k.max() : v < k.max());
        if (!ok) {
            boolean whole = k.type() != Knob.Type.REAL && v == Math.rint(v) && Math.abs(v) < 1e15;
            throw new Invalid(owner(where), k.name(), "must be " + k.range() + ", got " + (whole ? (long) v : v));
        }
        return v;
    }

    private static String checkChoice(String where, Knob<?> k, String v) {
        if (!k.choices().isEmpty() && !k.choices().contains(v)) {
            throw new Invalid(owner(where), k.name(), "must be " + k.range() + ", got '" + v + "'");
        }
        return v;
    }

    /** The owner part of "owner: knob 'name'". */
    private static String owner(String where) {
        return where.substring(0, where.lastIndexOf(": knob '"));
    }

    /**
     * A knob value that does not fit its declaration, or a name that is not a knob; says which knob,
     * so a config reader can point at the field and line it came from.
     */
    public static final class Invalid extends IllegalArgumentException {
        private final String knob;
        private final String problem;

        Invalid(String owner, String knob, String problem) {
            this(owner, knob, problem, owner + ": knob '" + knob + "' " + problem);
        }

        Invalid(String owner, String knob, String problem, String message) {
            super(message);
            this.knob = knob;
            this.problem = problem;
        }

        /** The knob's name, as given. */
        public String knob() {
            return knob;
        }

        /** What is wrong, without the owner and knob: "must be &gt; 0, got -1". */
        public String problem() {
            return problem;
        }
    }

    private static String describe(Knob.Type type) {
        return switch (type) {
            case REAL -> "a number";
            case INTEGER, LONG -> "a whole number";
            case INTEGERS -> "a comma-separated list of whole numbers";
            case TEXT -> "text";
            case FLAG -> "true or false";
        };
    }

    @Override
    public String toString() {
        return owner + values;
    }
}
