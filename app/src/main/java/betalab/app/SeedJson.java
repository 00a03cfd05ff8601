package betalab.app;

import betalab.seed.SeedExperiment;
import betalab.seed.SeedResult;
import betalab.training.Provenance;
import java.util.LinkedHashMap;
import java.util.Map;

/** The seed run as the JSON document {@code --json} writes: results, the resolved config and what produced it. */
final class SeedJson {
    private SeedJson() {
    }

    static Map<String, Object> of(SeedResult r) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("seed", r.config().get(SeedExperiment.SEED));
        json.put("epochs", r.config().get(SeedExperiment.EPOCHS));
        json.put("delta", r.delta());
        json.put("beta", r.beta());
        json.put("loss", r.loss());
        json.put("mean_beta_pos", r.meanBetaPos());
        json.put("mean_beta_neg", r.meanBetaNeg());
        json.put("config", r.config().toMap());
        json.put("provenance", Provenance.of(r.extensions()));
        return json;
    }
}
