package betalab.app;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What produced a result: enough to rerun it the same way. */
final class Provenance {
    private Provenance() {
    }

    static Map<String, Object> of(String backend, List<String> extensions) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("betalab_version", Version.current());
        p.put("java_version", System.getProperty("java.version"));
        p.put("backend", backend);
        p.put("extensions", extensions);
        return p;
    }
}
