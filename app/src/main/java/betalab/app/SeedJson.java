package betalab.app;

import betalab.training.Provenance;
import betalab.seed.SeedConfig;
import betalab.seed.SeedResult;
import java.util.LinkedHashMap;
import java.util.Map;

/** The seed run as the JSON document {@code --json} writes, with what produced it. */
final class SeedJson {
    private SeedJson() {
    }

    static Map<String, Object> of(SeedResult r) {
        SeedConfig c = r.config();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("seed", c.seed());
        json.put("epochs", c.epochs());
        json.put("delta", r.delta());
        json.put("beta", r.beta());
        json.put("loss", r.loss());
        json.put("mean_beta_pos", r.meanBetaPos());
        json.put("mean_beta_neg", r.meanBetaNeg());
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("samples", c.samples());
        config.put("dim", c.dim());
        config.put("hidden", c.hidden());
        config.put("lr", c.lr());
        config.put("rng", c.rng());
        config.put("beta_scheme", c.betaScheme());
        config.put("loss", c.loss());
        config.put("optimizer", c.optimizer());
        json.put("config", config);
        json.put("provenance", Provenance.of(r.extensions()));
        return json;
    }
}
