package betalab.sweep;

import betalab.api.registry.Registry;
import betalab.training.Provenance;
import betalab.training.RunFiles;
import betalab.seed.SeedConfig;
import betalab.seed.SeedExperiment;
import betalab.seed.SeedResult;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The seed experiment as sweep runs. A run directory holds {@code config.json} (the options of
 * {@code betalab seed} that replay it), {@code provenance.json}, {@code metrics.jsonl} (each epoch's
 * loss), {@code pairs.csv} (Δ and the final β(x) of every sample) and {@code summary.json}.
 */
final class SeedRunner implements Runner<SeedConfig> {
    private static final List<String> FIELDS = List.of("seed", "epochs", "samples", "dim", "hidden", "lr", "rng",
            "beta_scheme", "loss", "optimizer");

    private final Registry registry;

    SeedRunner(Registry registry) {
        this.registry = registry;
    }

    @Override
    public SeedConfig resolve(ObjectNode tree) {
        tree.fieldNames().forEachRemaining(f -> {
            if (!FIELDS.contains(f)) {
                throw new IllegalArgumentException("unknown field '" + f + "'; known: " + String.join(", ", FIELDS));
            }
        });
        SeedConfig d = SeedConfig.defaults();
        return new SeedConfig(integer(tree, "seed", d.seed()), (int) integer(tree, "epochs", d.epochs()),
                (int) integer(tree, "samples", d.samples()), (int) integer(tree, "dim", d.dim()), hidden(tree, d.hidden()),
                number(tree, "lr", d.lr()), text(tree, "rng", d.rng()), text(tree, "beta_scheme", d.betaScheme()),
                text(tree, "loss", d.loss()), text(tree, "optimizer", d.optimizer()));
    }

    @Override
    public SeedConfig stored(Path dir) {
        Path file = dir.resolve("config.json");
        try {
            return Files.exists(file) ? resolve((ObjectNode) RunFiles.JSON.readTree(file.toFile())) : null;
        } catch (IOException | IllegalArgumentException | ClassCastException e) {
            return null;
        }
    }

    @Override
    public void run(SeedConfig config, Path dir) {
        String started = Instant.now().toString();
        SeedResult result = new SeedExperiment(registry).run(config, (epoch, loss) -> { });
        RunFiles.writeJson(dir.resolve("config.json"), tree(config));
        Map<String, Object> provenance = new LinkedHashMap<>(Provenance.of(result.extensions()));
        provenance.put("seed", config.seed());
        provenance.put("started", started);
        provenance.put("ended", Instant.now().toString());
        RunFiles.writeJson(dir.resolve("provenance.json"), provenance);

        ObjectWriter line = RunFiles.JSON.writer().without(SerializationFeature.INDENT_OUTPUT);
        RunFiles.write(dir.resolve("metrics.jsonl"), out -> {
            for (int e = 0; e < result.loss().length; e++) {
                out.write(line.writeValueAsBytes(Map.of("step", e + 1, "loss", result.loss()[e])));
                out.write('\n');
            }
        });
        RunFiles.write(dir.resolve("pairs.csv"), out -> {
            StringBuilder csv = new StringBuilder("margin,beta\n");
            for (int i = 0; i < result.delta().length; i++) {
                csv.append(String.format(Locale.ROOT, "%s,%s%n", result.delta()[i], result.beta()[i]));
            }
            out.write(csv.toString().getBytes(StandardCharsets.UTF_8));
        });

        Map<String, Object> last = new LinkedHashMap<>();
        last.put("step", config.epochs());
        last.put("loss", result.loss()[config.epochs() - 1]);
        last.put("mean_beta_pos", result.meanBetaPos());
        last.put("mean_beta_neg", result.meanBetaNeg());
        last.put("mean_beta_gap", result.meanBetaPos() - result.meanBetaNeg());
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("status", "completed");
        summary.put("steps", config.epochs());
        summary.put("last_eval", last);
        RunFiles.writeJson(dir.resolve("summary.json"), summary);
    }

    /** The config as {@code config.json} holds it, in the sweep's field names. */
    private static Map<String, Object> tree(SeedConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seed", c.seed());
        m.put("epochs", c.epochs());
        m.put("samples", c.samples());
        m.put("dim", c.dim());
        m.put("hidden", c.hidden());
        m.put("lr", c.lr());
        m.put("rng", c.rng());
        m.put("beta_scheme", c.betaScheme());
        m.put("loss", c.loss());
        m.put("optimizer", c.optimizer());
        return m;
    }

    private static long integer(JsonNode tree, String field, long fallback) {
        JsonNode v = tree.get(field);
        if (v == null) {
            return fallback;
        }
        if (!v.canConvertToLong() || !v.isIntegralNumber()) {
            throw new IllegalArgumentException("field '" + field + "': expected an integer, got " + v);
        }
        return v.asLong();
    }

    private static double number(JsonNode tree, String field, double fallback) {
        JsonNode v = tree.get(field);
        if (v == null) {
            return fallback;
        }
        if (!v.isNumber()) {
            throw new IllegalArgumentException("field '" + field + "': expected a number, got " + v);
        }
        return v.asDouble();
    }

    private static String text(JsonNode tree, String field, String fallback) {
        JsonNode v = tree.get(field);
        if (v == null) {
            return fallback;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException("field '" + field + "': expected a name, got " + v);
        }
        return v.asText();
    }

    private static List<Integer> hidden(JsonNode tree, List<Integer> fallback) {
        JsonNode v = tree.get("hidden");
        if (v == null) {
            return fallback;
        }
        List<Integer> widths = new ArrayList<>();
        for (JsonNode w : v.isArray() ? v : List.of(v)) {
            if (!w.isIntegralNumber()) {
                throw new IllegalArgumentException("field 'hidden': expected a list of widths, got " + v);
            }
            widths.add(w.asInt());
        }
        return widths;
    }
}
