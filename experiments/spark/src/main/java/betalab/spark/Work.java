package betalab.spark;

import java.io.Serializable;

/** One run as it travels to an executor: its id and its resolved config as JSON. */
record Work(String id, String config) implements Serializable {
}
