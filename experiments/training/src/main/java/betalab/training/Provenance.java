package betalab.training;

import betalab.api.tensor.Backends;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What produced a result: the code, the platform and the wiring, enough to rerun it the same way. */
public final class Provenance {
    /** Set by the launcher to the source tree's commit, when it has one. */
    public static final String COMMIT_PROPERTY = "betalab.commit";

    private Provenance() {
    }

    public static Map<String, Object> of(List<String> extensions) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("betalab_version", version());
        p.put("git_commit", System.getProperty(COMMIT_PROPERTY, "unknown"));
        p.put("java_version", System.getProperty("java.version"));
        p.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        p.put("backend", Backends.current().name());
        p.put("extensions", extensions);
        return p;
    }

    /** The version in this jar's manifest, or "development" when run from classes. */
    public static String version() {
        String v = Provenance.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }
}
