package betalab.spark;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.sweep.RunResult;
import betalab.sweep.Sweep;
import betalab.sweep.SweepRun;
import betalab.training.RunFiles;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** What the tests compare: two sweep directories that must hold the same runs with the same numbers. */
final class Sweeps {
    /** Files whose content depends on when or where a run ran, not on what it computed (and hidden ones: locks). */
    private static final List<String> CIRCUMSTANTIAL = List.of("provenance.json", "run.log", "train.log");

    static final Sweep.Listener SILENT = new Sweep.Listener() {
        @Override
        public void planned(int total, int skipped) {
        }

        @Override
        public void started(SweepRun run) {
        }

        @Override
        public void finished(SweepRun run, Exception error, double seconds) {
        }
    };

    private Sweeps() {
    }

    /**
     * Every run of {@code runs} is completed in both directories, with the same files, the same
     * summary and the same metric rows; the aggregates written from them are identical.
     */
    static void assertSameRuns(List<SweepRun> runs, Path expected, Path actual) throws IOException {
        assertSameRuns(runs, expected, actual, true);
    }

    /** As {@link #assertSameRuns(List, Path, Path)}; the tables compared only when {@code tables}. */
    static void assertSameRuns(List<SweepRun> runs, Path expected, Path actual, boolean tables) throws IOException {
        for (SweepRun run : runs) {
            Path a = Sweep.runDirectory(expected, run);
            Path b = Sweep.runDirectory(actual, run);
            assertThat(files(b)).as(run.id()).isEqualTo(files(a));
            for (String file : files(a)) {
                if (CIRCUMSTANTIAL.contains(file) || Path.of(file).getFileName().toString().startsWith(".")) {
                    continue;
                }
                if (file.endsWith(".json")) {
                    assertThat(withoutTimes(json(b.resolve(file)))).as(run.id() + "/" + file)
                            .isEqualTo(withoutTimes(json(a.resolve(file))));
                } else if (file.endsWith(".jsonl")) {
                    List<String> left = Files.readAllLines(a.resolve(file));
                    List<String> right = Files.readAllLines(b.resolve(file));
                    assertThat(right).as(run.id() + "/" + file).hasSameSizeAs(left);
                    for (int i = 0; i < left.size(); i++) {
                        assertThat(withoutTimes(RunFiles.JSON.readTree(right.get(i))))
                                .as(run.id() + "/" + file + " row " + i)
                                .isEqualTo(withoutTimes(RunFiles.JSON.readTree(left.get(i))));
                    }
                } else {
                    assertThat(Files.readAllBytes(b.resolve(file))).as(run.id() + "/" + file)
                            .isEqualTo(Files.readAllBytes(a.resolve(file)));
                }
            }
            assertThat(json(b.resolve("summary.json")).path("status").asText()).as(run.id()).isEqualTo("completed");
        }
        for (String table : !tables ? List.<String>of() : List.of("results.csv", "aggregate.csv", "aggregate.md", "paired.csv", "paired.md")) {
            if (Files.exists(expected.resolve(table))) {
                assertThat(Files.readString(actual.resolve(table))).as(table)
                        .isEqualTo(Files.readString(expected.resolve(table)));
            }
        }
    }

    static void assertAllCompleted(List<RunResult> results) {
        assertThat(results).allSatisfy(r -> assertThat(r.status()).as(r.run().id()).isEqualTo("completed"));
    }

    /** The sweep directory holds exactly the runs' directories and no attempt left behind. */
    static void assertNothingElse(List<SweepRun> runs, Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir.resolve(Sweep.RUNS))) {
            assertThat(entries.map(p -> p.getFileName().toString()).sorted())
                    .containsExactlyElementsOf(runs.stream().map(SweepRun::id).sorted().toList());
        }
        assertThat(dir.resolve(SparkSweepEngine.ATTEMPTS)).doesNotExist();
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            return all.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    private static JsonNode json(Path file) throws IOException {
        return RunFiles.JSON.readTree(file.toFile());
    }

    /** The tree without the fields that time a run (wall-clock seconds, dates). */
    private static JsonNode withoutTimes(JsonNode node) {
        JsonNode copy = node.deepCopy();
        strip(copy);
        return copy;
    }

    private static void strip(JsonNode node) {
        if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
            List<String> names = new java.util.ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            for (String n : names) {
                if (TIMES.contains(n)) {
                    o.remove(n);
                } else {
                    strip(o.get(n));
                }
            }
        } else if (node.isArray()) {
            node.forEach(Sweeps::strip);
        }
    }

    private static final List<String> TIMES = List.of("seconds", "elapsed", "elapsed_seconds", "wall_seconds",
            "started", "finished", "time", "timestamp", "created");
}
