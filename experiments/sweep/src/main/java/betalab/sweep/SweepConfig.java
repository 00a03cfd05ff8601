package betalab.sweep;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.LongStream;

/**
 * A sweep: a base config, the axes varied over it and the seeds, read from YAML or JSON.
 *
 * <pre>
 * name: compare-noise          # title of the report and folder of sweeps/&lt;name&gt; (default: the file's name)
 * kind: train                  # train (bandit training runs, default) or seed (the seed experiment)
 * base: bandit-dpo.yaml        # the base config: a path, relative to this file, or the config inline
 * methods:                     # named presets; paired comparisons are by these names
 *   dpo: {}
 *   learnable_beta: {beta: {name: policy_mlp}}
 * grid:                        # every combination of these fields' values
 *   task.label_noise: [0.0, 0.2]
 * zip:                         # these fields varied together: the i-th values form one point
 *   optimizer.lr: [0.01, 0.003]
 *   steps: [100, 300]
 * list:                        # explicit points, each a map of overrides
 *   - {batch_size: 64}
 *   - {batch_size: 256, optimizer.lr: 0.02}
 * seeds: 5                     # a count (seeds 0 … n−1) or a list; default: the base's seed
 * baseline: dpo                # paired comparisons: every method against this one (default: the first)
 * metrics: [eval/true_reward]  # headline metrics (default per kind), names the runs record; the first sorts the tables
 * x: task.label_noise   # x axis of the metric-against-field plots (default: the first numeric grid field)
 * </pre>
 *
 * An override names a field by its dotted path and replaces whatever is there, so a method's
 * {@code beta: {name: policy_mlp}} replaces the whole β section while {@code beta.beta: 0.2} sets one
 * knob. Overrides apply in the order base, method, grid, zip, list, seed; the axes multiply.
 *
 * <p>{@code file} is where the sweep was read from (errors name it), or null.
 */
public record SweepConfig(String name, Kind kind, ObjectNode base, List<Axis> axes, List<Long> seeds, String baseline,
                          List<String> metrics, String x, Path file) {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Set<String> FIELDS = Set.of("name", "kind", "base", "methods", "grid", "zip", "list",
            "seeds", "baseline", "metrics", "x");

    /** One point of an axis: a method's name (null on other axes) and the overrides it applies. */
    public record Point(String name, Map<String, JsonNode> overrides) {
    }

    /** One dimension of the sweep; {@code methods} tells the method axis from the others. */
    public record Axis(boolean methods, List<Point> points) {
    }

    /** Reads and checks {@code file}, down to every run's overrides and id; nothing else is read or written. */
    public static SweepConfig read(Path file) {
        JsonNode root = tree(file);
        try {
            SweepConfig config = parse(root, file);
            config.runs(); // a path that cannot be set, or two runs sharing an id, fails here, naming the file
            return config;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The sweep as resolved, as {@code sweep-resolved.json} records it: name, kind, the base (inlined
     * when it was a path), every axis's points, the seeds, baseline, metrics and x. Two sweeps with
     * the same record run the same runs and report them the same way.
     */
    public ObjectNode toJson() {
        ObjectNode out = JSON.createObjectNode();
        out.put("name", name);
        out.put("kind", kind.label());
        out.set("base", base.deepCopy());
        ArrayNode axesNode = out.putArray("axes");
        for (Axis axis : axes) {
            ArrayNode points = axesNode.addArray();
            for (Point p : axis.points()) {
                ObjectNode point = points.addObject();
                if (p.name() != null) {
                    point.put("method", p.name());
                }
                ObjectNode overrides = point.putObject("overrides");
                p.overrides().forEach((path, value) -> overrides.set(path, value.deepCopy()));
            }
        }
        ArrayNode seedsNode = out.putArray("seeds");
        seeds.forEach(seedsNode::add);
        out.put("baseline", baseline);
        ArrayNode metricsNode = out.putArray("metrics");
        metrics.forEach(metricsNode::add);
        out.put("x", x);
        // Through text and back, so numbers compare equal to the same record read from its file.
        try {
            return (ObjectNode) JSON.readTree(JSON.writeValueAsString(out));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode the sweep: " + e.getOriginalMessage(), e);
        }
    }

    /** The columns every run fills: the method, when there are methods, then each swept field. */
    public List<String> columns() {
        Set<String> columns = new LinkedHashSet<>();
        for (Axis axis : axes) {
            if (axis.methods()) {
                columns.add(SweepRun.METHOD);
            } else {
                axis.points().forEach(p -> columns.addAll(p.overrides().keySet()));
            }
        }
        return List.copyOf(columns);
    }

    /** The method names in the order given; empty when the sweep names none. */
    public List<String> methods() {
        return axes.stream().filter(Axis::methods).flatMap(a -> a.points().stream()).map(Point::name).toList();
    }

    /** Every run: the product of the axes, then the seeds, each with its id and config. */
    public List<SweepRun> runs() {
        List<String> columns = columns();
        Map<String, String> shortNames = shortNames(columns);
        List<List<Point>> combinations = new ArrayList<>();
        combinations.add(List.of());
        for (Axis axis : axes) {
            List<List<Point>> next = new ArrayList<>();
            for (List<Point> prefix : combinations) {
                for (Point p : axis.points()) {
                    List<Point> longer = new ArrayList<>(prefix);
                    longer.add(p);
                    next.add(longer);
                }
            }
            combinations = next;
        }
        List<SweepRun> runs = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (List<Point> combination : combinations) {
            ObjectNode config = base.deepCopy();
            Map<String, String> fields = new LinkedHashMap<>();
            columns.forEach(c -> fields.put(c, ""));
            List<String> idParts = new ArrayList<>();
            for (Point p : combination) {
                if (p.name() != null) {
                    fields.put(SweepRun.METHOD, p.name());
                    idParts.add(safe(p.name()));
                }
                p.overrides().forEach((path, value) -> {
                    set(config, path, value);
                    if (p.name() == null) {
                        fields.put(path, value.isValueNode() ? value.asText() : value.toString());
                        idParts.add(safe(shortNames.get(path) + "=" + idValue(value)));
                    }
                });
            }
            String cell = idParts.isEmpty() ? "base" : String.join("__", idParts);
            for (long seed : seeds) {
                config.put("seed", seed);
                String id = idParts.isEmpty() ? "seed=" + seed : cell + "__seed=" + seed;
                if (!ids.add(id)) {
                    throw new IllegalArgumentException("two runs would share the id " + id
                            + "; make the axes' values distinct");
                }
                if (id.length() > 200) {
                    throw new IllegalArgumentException("run id " + id + " is too long for a directory name; "
                            + "name the overrides as methods");
                }
                runs.add(new SweepRun(id, cell, fields, seed, config.deepCopy()));
            }
        }
        return runs;
    }

    /** Sets the field at a dotted path, making missing sections on the way. */
    static void set(ObjectNode tree, String path, JsonNode value) {
        String[] parts = path.split("\\.");
        ObjectNode node = tree;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = node.get(parts[i]);
            if (child == null || child.isNull()) {
                child = node.putObject(parts[i]);
            } else if (!child.isObject()) {
                throw new IllegalArgumentException("cannot set '" + path + "': '" + parts[i] + "' is not a section");
            }
            node = (ObjectNode) child;
        }
        node.set(parts[parts.length - 1], value.deepCopy());
    }

    /** Each column's name in run ids: the last part of its path, or the whole path where that is ambiguous. */
    private static Map<String, String> shortNames(List<String> columns) {
        Map<String, Integer> count = new LinkedHashMap<>();
        columns.forEach(c -> count.merge(last(c), 1, Integer::sum));
        Map<String, String> out = new LinkedHashMap<>();
        columns.forEach(c -> out.put(c, count.get(last(c)) == 1 ? last(c) : c));
        return out;
    }

    private static String last(String path) {
        return path.substring(path.lastIndexOf('.') + 1);
    }

    /** A value as an id shows it: scalars as written, sections and lists as their values joined by '-'. */
    private static String idValue(JsonNode value) {
        if (value.isValueNode()) {
            return value.asText();
        }
        List<String> parts = new ArrayList<>();
        value.elements().forEachRemaining(v -> parts.add(idValue(v)));
        return String.join("-", parts);
    }

    /** Keeps ids to characters every file system takes. */
    private static String safe(String s) {
        return s.replaceAll("[^A-Za-z0-9._=+-]", "_");
    }

    private static JsonNode tree(Path file) {
        String fileName = file.getFileName().toString();
        ObjectMapper mapper = fileName.endsWith(".yaml") || fileName.endsWith(".yml")
                ? new ObjectMapper(new YAMLFactory()) : new ObjectMapper();
        try {
            JsonNode root = mapper.readTree(Files.readString(file));
            if (root == null || root.isMissingNode() || root.isNull()) {
                throw new IllegalArgumentException(file + ": the file is empty");
            }
            if (!root.isObject()) {
                throw new IllegalArgumentException(file + ": expected a map of fields");
            }
            return root;
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String line = at == null || at.getLineNr() < 1 ? "" : ":" + at.getLineNr();
            throw new IllegalArgumentException(file + line + ": " + e.getOriginalMessage().lines().findFirst().orElse(""));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage());
        }
    }

    private static SweepConfig parse(JsonNode root, Path file) {
        root.fieldNames().forEachRemaining(f -> {
            if (!FIELDS.contains(f)) {
                throw new IllegalArgumentException("unknown field '" + f + "'; known: "
                        + String.join(", ", FIELDS.stream().sorted().toList()));
            }
        });
        String name = root.has("name") ? folderName(text(root, "name"))
                : file.getFileName().toString().replaceFirst("\\.(ya?ml|json)$", "");
        Kind kind = kind(root);
        ObjectNode base = base(root, file, kind);

        List<Axis> axes = new ArrayList<>();
        List<String> methodNames = new ArrayList<>();
        if (root.has("methods")) {
            List<Point> points = new ArrayList<>();
            fields(root, "methods").forEach((method, presets) -> {
                if (!presets.isObject()) {
                    throw new IllegalArgumentException("field 'methods." + method + "': expected a map of overrides");
                }
                points.add(new Point(method, overrides(presets, "methods." + method)));
                methodNames.add(method);
            });
            axes.add(new Axis(true, points));
        }
        if (root.has("grid")) {
            fields(root, "grid").forEach((path, values) -> axes.add(new Axis(false,
                    values(values, "grid." + path).stream().map(v -> point(path, v)).toList())));
        }
        if (root.has("zip")) {
            Map<String, List<JsonNode>> zipped = new LinkedHashMap<>();
            fields(root, "zip").forEach((path, values) -> zipped.put(path, values(values, "zip." + path)));
            int n = zipped.values().iterator().next().size();
            zipped.forEach((path, values) -> {
                if (values.size() != n) {
                    throw new IllegalArgumentException("field 'zip." + path + "': has " + values.size()
                            + " values where the first zipped field has " + n + "; zipped fields vary together");
                }
            });
            List<Point> points = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Map<String, JsonNode> overrides = new LinkedHashMap<>();
                for (Map.Entry<String, List<JsonNode>> e : zipped.entrySet()) {
                    overrides.put(path(e.getKey(), "zip"), e.getValue().get(i));
                }
                points.add(new Point(null, overrides));
            }
            axes.add(new Axis(false, points));
        }
        if (root.has("list")) {
            List<Point> points = new ArrayList<>();
            List<JsonNode> entries = values(root.get("list"), "list");
            for (int i = 0; i < entries.size(); i++) {
                if (!entries.get(i).isObject() || entries.get(i).isEmpty()) {
                    throw new IllegalArgumentException("field 'list[" + i + "]': expected a map of overrides");
                }
                points.add(new Point(null, overrides(entries.get(i), "list[" + i + "]")));
            }
            axes.add(new Axis(false, points));
        }

        List<Long> seeds = seeds(root, base, kind);
        boolean seedSwept = axes.stream().flatMap(a -> a.points().stream())
                .anyMatch(p -> p.overrides().containsKey("seed"));
        if (seedSwept) {
            throw new IllegalArgumentException("field 'seed': sweep seeds with 'seeds', not in the axes");
        }
        String baseline = root.has("baseline") ? text(root, "baseline")
                : methodNames.isEmpty() ? null : methodNames.get(0);
        if (baseline != null && !methodNames.contains(baseline)) {
            throw new IllegalArgumentException("field 'baseline': '" + baseline + "' is not a method; methods: "
                    + String.join(", ", methodNames));
        }
        List<String> metrics = root.has("metrics")
                ? values(root.get("metrics"), "metrics").stream().map(m -> m.asText()).toList() : kind.defaultMetrics();
        SweepConfig config = new SweepConfig(name, kind, base, axes, seeds, baseline, metrics, null, file);
        String x = root.has("x") ? text(root, "x") : config.defaultX();
        if (x != null && !config.columns().contains(x)) {
            throw new IllegalArgumentException("field 'x': '" + x + "' is not a swept field; swept: "
                    + String.join(", ", config.columns()));
        }
        return new SweepConfig(name, kind, base, axes, seeds, baseline, metrics, x, file);
    }

    /**
     * A name that is one folder name: it names the default sweep directory, sweeps/&lt;name&gt;, which
     * must stay inside sweeps/.
     */
    private static String folderName(String name) {
        boolean separator = name.chars().anyMatch(c -> c == '/' || c == '\\' || c == ':' || c < 0x20);
        if (separator || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("field 'name': '" + name + "' is not a folder name: it names the "
                    + "sweep's directory (sweeps/<name>), so it takes no '/', '\\', ':' and is not '.' or '..'");
        }
        return name;
    }

    /** The first grid field whose values are all numbers. */
    private String defaultX() {
        return axes.stream().filter(a -> !a.methods() && a.points().stream().allMatch(p -> p.overrides().size() == 1
                        && p.overrides().values().iterator().next().isNumber()))
                .map(a -> a.points().get(0).overrides().keySet().iterator().next())
                .findFirst().orElse(null);
    }

    private static Kind kind(JsonNode root) {
        if (!root.has("kind")) {
            return Kind.TRAIN;
        }
        String kind = text(root, "kind");
        for (Kind k : Kind.values()) {
            if (k.label().equals(kind)) {
                return k;
            }
        }
        throw new IllegalArgumentException("field 'kind': expected train or seed, got " + kind);
    }

    private static ObjectNode base(JsonNode root, Path file, Kind kind) {
        JsonNode base = root.get("base");
        if (base == null) {
            if (kind == Kind.TRAIN) {
                throw new IllegalArgumentException("missing field 'base': a train config, inline or as a path");
            }
            return new ObjectMapper().createObjectNode();
        }
        if (base.isTextual()) {
            Path parent = file.toAbsolutePath().getParent();
            base = tree(parent.resolve(base.asText()));
        }
        if (!base.isObject()) {
            throw new IllegalArgumentException("field 'base': expected a config (a map) or the path of one");
        }
        return (ObjectNode) base;
    }

    private static List<Long> seeds(JsonNode root, ObjectNode base, Kind kind) {
        JsonNode seeds = root.get("seeds");
        if (seeds == null) {
            JsonNode seed = base.get("seed");
            return List.of(seed != null && seed.canConvertToLong() ? seed.asLong() : kind.defaultSeed());
        }
        if (seeds.isIntegralNumber()) {
            if (seeds.asInt() < 1) {
                throw new IllegalArgumentException("field 'seeds': a count must be ≥ 1, got " + seeds.asInt());
            }
            return LongStream.range(0, seeds.asInt()).boxed().toList();
        }
        List<Long> list = new ArrayList<>();
        for (JsonNode s : values(seeds, "seeds")) {
            if (!s.isIntegralNumber()) {
                throw new IllegalArgumentException("field 'seeds': expected a count or a list of integers, got " + s);
            }
            list.add(s.asLong());
        }
        if (new HashSet<>(list).size() != list.size()) {
            throw new IllegalArgumentException("field 'seeds': a seed is listed twice");
        }
        return List.copyOf(list);
    }

    private static Point point(String path, JsonNode value) {
        return new Point(null, Map.of(path(path, "grid"), value));
    }

    private static Map<String, JsonNode> overrides(JsonNode map, String where) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        map.fields().forEachRemaining(e -> out.put(path(e.getKey(), where), e.getValue()));
        return out;
    }

    private static String path(String path, String where) {
        if (path.isEmpty() || path.startsWith(".") || path.endsWith(".") || path.contains("..")) {
            throw new IllegalArgumentException("field '" + where + "': '" + path + "' is not a dotted field path");
        }
        return path;
    }

    private static Map<String, JsonNode> fields(JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (!node.isObject() || node.isEmpty()) {
            throw new IllegalArgumentException("field '" + field + "': expected a non-empty map");
        }
        Map<String, JsonNode> out = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    private static List<JsonNode> values(JsonNode node, String field) {
        if (!node.isArray() || node.isEmpty()) {
            throw new IllegalArgumentException("field '" + field + "': expected a non-empty list");
        }
        List<JsonNode> out = new ArrayList<>();
        node.elements().forEachRemaining(out::add);
        return out;
    }

    private static String text(JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (!node.isTextual() || node.asText().isBlank()) {
            throw new IllegalArgumentException("field '" + field + "': expected a name, got " + node);
        }
        return node.asText();
    }
}
