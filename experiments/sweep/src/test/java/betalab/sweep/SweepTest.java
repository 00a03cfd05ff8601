package betalab.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.registry.Registry;
import betalab.training.ConfigTree;
import betalab.training.PreferenceTraining;
import betalab.training.DirectoryLock;
import betalab.training.RunFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepTest {
    static final Registry REGISTRY = Registry.discover();

    static final Sweep.Listener SILENT = new Recorder();

    /** A tiny bandit: each run takes a fraction of a second. */
    static final String TINY = """
            base:
              steps: 12
              batch_size: 32
              eval_every: 4
              task: {name: bandit, prompts: 96, prompt_dim: 4, response_dim: 4, candidates: 4}
              loss: {name: sigmoid}
              beta: {name: fixed, beta: 0.5}
              optimizer: {name: adam, lr: 0.05}
            """;

    /** Remembers what the sweep reported. */
    static class Recorder implements Sweep.Listener {
        int total;
        int skipped;
        final List<String> started = Collections.synchronizedList(new ArrayList<>());
        final List<String> failed = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void planned(int total, int skipped) {
            this.total = total;
            this.skipped = skipped;
        }

        @Override
        public void started(SweepRun run) {
            started.add(run.id());
        }

        @Override
        public void finished(SweepRun run, Exception error, double seconds) {
            if (error != null) {
                failed.add(run.id());
            }
        }
    }

    @TempDir
    Path dir;

    private SweepConfig config(String yaml) throws IOException {
        return SweepConfig.read(Files.writeString(dir.resolve("sweep.yaml"), yaml));
    }

    private static JsonNode summary(Path sweepDir, String id) throws IOException {
        return RunFiles.JSON.readTree(sweepDir.resolve("runs").resolve(id).resolve("summary.json").toFile());
    }

    /**
     * A method whose config resolves but cannot be built (TR-DPO's hard update with no interval): it
     * fails only when its runs start.
     */
    static final String BROKEN = "{reference_sync: {mode: hard}}";
    static final String BROKEN_ERROR = "field 'reference_sync.every' must be ≥ 1 when mode is hard";

    @Test
    void aFailingRunIsRecordedAndTheOthersFinish() throws IOException {
        SweepConfig c = config(TINY + """
                methods:
                  broken: %s
                  dpo: {}
                seeds: 2
                """.formatted(BROKEN));
        Path out = dir.resolve("out");
        Recorder recorder = new Recorder();

        Sweep.Outcome outcome = new Sweep(REGISTRY, c, out).run(2, recorder);

        assertThat(outcome).isEqualTo(new Sweep.Outcome(4, 0, 2, 2));
        assertThat(recorder.failed).containsExactlyInAnyOrder("broken__seed=0", "broken__seed=1");
        JsonNode broken = summary(out, "broken__seed=0");
        assertThat(broken.get("status").asText()).isEqualTo("failed");
        assertThat(broken.get("error").asText()).isEqualTo(BROKEN_ERROR);
        assertThat(summary(out, "dpo__seed=1").get("status").asText()).isEqualTo("completed");
        // The run directory is the train command's: its resolved config replays it alone.
        Path run = out.resolve("runs/dpo__seed=1");
        assertThat(run).isDirectoryContaining("glob:**/config.json")
                .isDirectoryContaining("glob:**/provenance.json").isDirectoryContaining("glob:**/metrics.jsonl")
                .isDirectoryContaining("glob:**/" + Sweep.REQUESTED);
        @SuppressWarnings("unchecked")
        Map<String, Object> recorded = RunFiles.JSON.readValue(run.resolve("config.json").toFile(), Map.class);
        PreferenceTraining.train(REGISTRY, PreferenceTraining.resolve(ConfigTree.of(recorded, null), REGISTRY),
                dir.resolve("replayed"), Integer.MAX_VALUE, row -> { });
        assertThat(Files.readAllLines(dir.resolve("replayed/metrics.jsonl")))
                .isEqualTo(Files.readAllLines(run.resolve("metrics.jsonl")));
    }

    /** A knob value out of range fails the whole sweep before any run starts, naming the run and the field. */
    @Test
    void aBadKnobValueFailsTheSweepBeforeAnythingRuns() throws IOException {
        SweepConfig c = config(TINY + """
                methods:
                  dpo: {}
                  broken: {loss: {name: cdpo, epsilon: 0.9}}
                """);

        assertThatThrownBy(() -> new Sweep(REGISTRY, c, dir.resolve("out")).run(1, SILENT))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(dir.resolve("sweep.yaml") + ": run broken__seed=0: field 'loss.epsilon' must be ≥ 0 and "
                        + "≤ 0.5, got 0.9");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void resumingSkipsFinishedRunsAndRetriesTheRest() throws IOException {
        SweepConfig c = config(TINY + """
                methods:
                  dpo: {}
                  broken: %s
                grid:
                  task.label_noise: [0.0, 0.2]
                """.formatted(BROKEN));
        Path out = dir.resolve("out");
        new Sweep(REGISTRY, c, out).run(2, SILENT);
        // As if the sweep had been killed while this run was going.
        Path killed = out.resolve("runs/dpo__label_noise=0.2__seed=0");
        ObjectNode partial = (ObjectNode) summary(out, "dpo__label_noise=0.2__seed=0");
        RunFiles.writeJson(killed.resolve("summary.json"), partial.put("status", "running"));
        Path kept = out.resolve("runs/dpo__label_noise=0.0__seed=0/metrics.jsonl");
        long keptModified = Files.getLastModifiedTime(kept).toMillis();
        Recorder again = new Recorder();

        Sweep.Outcome outcome = new Sweep(REGISTRY, c, out).run(2, again);

        assertThat(again.total).isEqualTo(4);
        assertThat(again.skipped).isEqualTo(1);
        assertThat(again.started).containsExactlyInAnyOrder("dpo__label_noise=0.2__seed=0",
                "broken__label_noise=0.0__seed=0", "broken__label_noise=0.2__seed=0");
        assertThat(outcome).isEqualTo(new Sweep.Outcome(4, 1, 1, 2));
        assertThat(Files.getLastModifiedTime(kept).toMillis()).isEqualTo(keptModified);
        assertThat(summary(out, "dpo__label_noise=0.2__seed=0").get("status").asText()).isEqualTo("completed");
    }

    /** Forced onto a directory of another sweep, only the runs whose config changed run again. */
    @Test
    void aRunWhoseConfigChangedIsRunAgain() throws IOException {
        Path out = dir.resolve("out");
        new Sweep(REGISTRY, config(TINY), out).run(1, SILENT);
        Recorder same = new Recorder();
        new Sweep(REGISTRY, config(TINY), out).run(1, same);
        Recorder changed = new Recorder();
        Sweep other = new Sweep(REGISTRY, config(TINY.replace("steps: 12", "steps: 8")), out);
        try (Sweep.Claim forced = other.claim(true)) {
            other.run(1, changed);
        }

        assertThat(same.skipped).isEqualTo(1);
        assertThat(changed.skipped).isZero();
        assertThat(summary(out, "seed=0").get("steps").asInt()).isEqualTo(8);
        assertThat(RunFiles.JSON.readTree(out.resolve(Sweep.RECORD).toFile())).isEqualTo(other.config().toJson());
    }

    /** Every file under {@code root} with its size and time: what "left as it was" compares. */
    static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> files = new TreeMap<>();
        if (Files.exists(root)) {
            try (Stream<Path> all = Files.walk(root)) {
                for (Path p : all.toList()) {
                    files.put(root.relativize(p).toString(), Files.isDirectory(p) ? "dir"
                            : Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis());
                }
            }
        }
        return files;
    }

    @Test
    void aDirectoryHoldingADifferentSweepIsRefusedUnlessForced() throws IOException {
        Path out = dir.resolve("out");
        new Sweep(REGISTRY, config(TINY + "seeds: 2\n"), out).run(2, SILENT);
        Map<String, String> before = snapshot(out);
        Sweep other = new Sweep(REGISTRY, config(TINY.replace("beta: 0.5", "beta: 0.2") + "seeds: [0, 5]\n"), out);

        assertThatThrownBy(() -> other.run(1, SILENT)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(out + " holds a different sweep (its sweep-resolved.json differs in base, seeds); choose "
                        + "another --out, or add --force to run this sweep there (runs whose config changed are run "
                        + "again)");
        assertThat(snapshot(out)).isEqualTo(before);

        Recorder forced = new Recorder();
        try (Sweep.Claim claim = other.claim(true)) {
            assertThat(other.run(1, forced)).isEqualTo(new Sweep.Outcome(2, 0, 2, 0));
        }
        assertThat(forced.started).containsExactly("seed=0", "seed=5");
    }

    /** A folder with files but no sweep record may be anything: results.csv and runs/ are not written into it. */
    @Test
    void aDirectoryWithOtherFilesIsRefusedUnlessForced() throws IOException {
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.writeString(out.resolve("results.csv"), "precious\n");
        Files.writeString(out.resolve(".hidden"), "a lock or a temporary file\n");
        Sweep sweep = new Sweep(REGISTRY, config(TINY), out);

        assertThatThrownBy(() -> sweep.run(1, SILENT)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(out + " holds files (results.csv) but no sweep record (sweep-resolved.json)")
                .hasMessageContaining("--force");
        assertThat(out.resolve("results.csv")).hasContent("precious");
        assertThat(out.resolve("runs")).doesNotExist();
    }

    /**
     * While a sweep runs it holds its directory: a second sweep there (here started from the first's
     * listener, so it is certainly mid-run) fails at once, naming the owner, and changes nothing.
     */
    @Test
    void aSecondSweepOnALiveDirectoryFailsAtOnceNamingTheOwner() throws IOException {
        Path out = dir.resolve("out");
        SweepConfig c = config(TINY + "seeds: 2\n");
        List<Throwable> second = new ArrayList<>();
        List<Map<String, String>> snapshots = new ArrayList<>();
        Recorder first = new Recorder() {
            @Override
            public void planned(int total, int skipped) {
                super.planned(total, skipped);
                try {
                    Map<String, String> before = snapshot(out);
                    try {
                        new Sweep(REGISTRY, c, out).run(1, SILENT);
                    } catch (RuntimeException e) {
                        second.add(e);
                    }
                    snapshots.add(before);
                    snapshots.add(snapshot(out));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };

        assertThat(new Sweep(REGISTRY, c, out).run(1, first)).isEqualTo(new Sweep.Outcome(2, 0, 2, 0));

        assertThat(second).singleElement().isInstanceOf(IllegalStateException.class).extracting(Throwable::getMessage)
                .asString().startsWith(out + " is in use by another betalab process (pid "
                        + ProcessHandle.current().pid() + ", since ").doesNotContain("\n");
        assertThat(snapshots.get(1)).isEqualTo(snapshots.get(0));
        // Released at the end: the directory can be taken again.
        DirectoryLock.acquire(out).close();
    }

    /** A sweep whose runs fail, or that fails itself, still lets go of its directory. */
    @Test
    void theLockIsReleasedWhenRunsFailAndWhenTheSweepFails() throws IOException {
        Path out = dir.resolve("out");
        Sweep sweep = new Sweep(REGISTRY, config(TINY + "methods:\n  broken: " + BROKEN + "\n"), out);
        assertThat(sweep.run(1, SILENT).failed()).isEqualTo(1);
        DirectoryLock.acquire(out).close();

        Recorder throwing = new Recorder() {
            @Override
            public void planned(int total, int skipped) {
                throw new IllegalStateException("listener failed");
            }
        };
        assertThatThrownBy(() -> sweep.run(1, throwing)).hasMessage("listener failed");
        DirectoryLock.acquire(out).close();
    }

    /** An unknown headline metric would be a column of dashes: it fails before anything runs, with the known names. */
    @Test
    void anUnknownMetricFailsBeforeAnythingRuns() throws IOException {
        SweepConfig c = config(TINY + "metrics: [eval/true_reward, eval/true_rewrd]\n");

        assertThatThrownBy(() -> new Sweep(REGISTRY, c, dir.resolve("out"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(dir.resolve("sweep.yaml") + ": field 'metrics': 'eval/true_rewrd' is not a "
                        + "metric these runs record; known: step, epoch, loss, grad_norm, learning_rate, rewards/chosen")
                .hasMessageContaining(", eval/true_reward, eval/kl_ref, eval/pref_accuracy, eval/win_rate_vs_ref, "
                        + "eval/beta_clean, eval/beta_flipped").hasMessageNotContaining("\n");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    /** The names a sweep checks its metrics against are exactly those each kind of run ends with. */
    @Test
    void theKnownMetricsAreTheOnesRunsRecord() throws IOException {
        // With noise, so that β on flipped pairs is a number (a summary leaves out what is not).
        String noisy = TINY.replace("candidates: 4}", "candidates: 4, label_noise: 0.3}");
        for (String yaml : List.of(noisy, "kind: seed\nbase: {epochs: 3}\n")) {
            SweepConfig c = config(yaml);
            Path out = dir.resolve("out-" + c.kind().label());
            new Sweep(REGISTRY, c, out).run(1, SILENT);
            SweepRun run = c.runs().get(0);
            Runner runner = Runner.of(c.kind(), REGISTRY);
            List<String> recorded = new ArrayList<>();
            summary(out, run.id()).get("last_eval").fieldNames().forEachRemaining(recorded::add);

            assertThat(runner.metrics(runner.resolve(run.config()))).as(c.kind().label())
                    .containsExactlyInAnyOrderElementsOf(recorded);
        }
    }

    /** The seed study as a sweep: seed 42 is the seed document's printed run. */
    @Test
    void seedSweepsRunTheSeedExperiment() throws IOException {
        Path out = dir.resolve("out");
        new Sweep(REGISTRY, config("kind: seed\nseeds: [42]\n"), out).run(1, SILENT);

        JsonNode last = summary(out, "seed=42").get("last_eval");
        assertThat(last.get("mean_beta_pos").asDouble()).isCloseTo(3.6286, within(1e-4));
        assertThat(last.get("mean_beta_neg").asDouble()).isCloseTo(0.4246, within(1e-4));
        assertThat(last.get("mean_beta_gap").asDouble()).isCloseTo(3.6286 - 0.4246, within(2e-4));
        assertThat(Files.readAllLines(out.resolve("runs/seed=42/pairs.csv"))).hasSize(21).first().isEqualTo("margin,beta");
        assertThat(Files.readAllLines(out.resolve("runs/seed=42/metrics.jsonl"))).hasSize(200);
        JsonNode config = RunFiles.JSON.readTree(out.resolve("runs/seed=42/config.json").toFile());
        assertThat(config.at("/beta/name").asText()).isEqualTo("softplus_mlp");
        assertThat(config.at("/beta/hidden").toString()).isEqualTo("[10]");
        assertThat(config.get("epochs").asInt()).isEqualTo(200);
    }
}
