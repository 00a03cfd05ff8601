package betalab.experiments.bandit;

/** One place for the "field must be …, got …" message every config check gives. */
public final class Checks {
    private Checks() {
    }

    public static void require(boolean ok, String field, String expected, Object got) {
        if (!ok) {
            throw new IllegalArgumentException(field + " must be " + expected + ", got " + got);
        }
    }
}
