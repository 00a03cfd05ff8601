package betalab.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.tensor.Backends;
import betalab.api.tensor.TensorBackend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run is what it says it is: its own directory, one process in it, resumed only under its own set-up. */
class RunSafetyTest {
    @TempDir
    Path tmp;

    @Test
    void runsStartedAtOnceGetDirectoriesOfTheirOwn() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Path>> made = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                made.add(pool.submit(() -> RunDirectory.unique(tmp.resolve("runs"), "dpo-20261201-101010")));
            }
            Set<Path> dirs = new HashSet<>();
            for (Future<Path> f : made) {
                dirs.add(f.get());
            }
            assertThat(dirs).hasSize(24).allMatch(Files::isDirectory);
            assertThat(dirs).contains(tmp.resolve("runs/dpo-20261201-101010"), tmp.resolve("runs/dpo-20261201-101010-24"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aLiveRunCannotBeOpenedOrCreatedByAnother() {
        Path dir = tmp.resolve("run");
        RunDirectory first = RunDirectory.create(dir, Map.of("seed", 1), Map.of("backend", "jvm"));
        try {
            assertThatThrownBy(() -> RunDirectory.open(dir)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(dir + " is in use by another betalab process")
                    .hasMessageContaining("pid " + ProcessHandle.current().pid());
        } finally {
            first.close();
        }
        RunDirectory again = RunDirectory.open(dir);
        again.close();
        Path other = tmp.resolve("other");
        RunDirectory holder = RunDirectory.create(other, Map.of("seed", 1), Map.of());
        try {
            // a second run started into the same --out while the first is being made
            assertThatThrownBy(() -> RunDirectory.create(other, Map.of("seed", 2), Map.of()))
                    .hasMessageContaining("already holds a run");
        } finally {
            holder.close();
        }
    }

    @Test
    void openingARunRemovesWhatAKilledWriteLeftBehind() throws Exception {
        Path dir = tmp.resolve("run");
        RunDirectory.create(dir, Map.of("seed", 1), Map.of()).close();
        Path stale = Files.writeString(dir.resolve(".summary.json12345.tmp"), "{\"half");
        RunDirectory.open(dir).close();
        assertThat(stale).doesNotExist();
        assertThat(dir.resolve(RunDirectory.CONFIG)).exists();
    }

    @Test
    void aSignalMarksTheRunInterruptedAndSaysHowToResume() throws Exception {
        Path dir = tmp.resolve("run");
        Config config = Runs.resolve(Runs.bandit(6, Runs.FIXED, 0.0), Runs.REGISTRY);
        PreferenceTraining.train(Runs.REGISTRY, config, dir, 4, row -> { });
        RunDirectory run = RunDirectory.open(dir).resumeWith("betalab train --resume " + dir);
        try {
            run.resume(Map.of());
            Progress progress = new Progress(Map.of(), null, 6, 3);
            run.onStart(progress);
            run.interruptedBySignal(progress);
            // The training thread finishing its step meanwhile does not undo the record.
            run.bestBy("eval/true_reward", true);
            progress.begin(5);
            progress.row().put("eval/true_reward", 1.0);
            run.onStepEnd(progress);
        } finally {
            run.close();
        }
        var summary = Runs.JSON.readTree(dir.resolve(RunDirectory.SUMMARY).toFile());
        assertThat(summary.get("status").asText()).isEqualTo("interrupted");
        assertThat(summary.get("error").asText()).isEqualTo("stopped by a signal after step 4; resume it with: "
                + "betalab train --resume " + dir);
    }

    /** The JVM backend under another name: the same numbers, a different record. */
    private static TensorBackend twin() {
        TensorBackend jvm = Backends.named("jvm");
        return (TensorBackend) Proxy.newProxyInstance(TensorBackend.class.getClassLoader(),
                new Class<?>[] {TensorBackend.class}, (proxy, method, args) -> {
                    if (method.getName().equals("name")) {
                        return "twin";
                    }
                    try {
                        return method.invoke(jvm, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void aRunResumesOnlyOnTheBackendAndWithTheExtensionsItStartedWith() throws Exception {
        Path dir = tmp.resolve("run");
        Config config = Runs.resolve(Runs.bandit(6, Runs.FIXED, 0.0), Runs.REGISTRY);
        TensorBackend before = Backends.current();
        Backends.use(twin());
        try {
            PreferenceTraining.train(Runs.REGISTRY, config, dir, 4, row -> { });
        } finally {
            Backends.use(before);
        }
        assertThatThrownBy(() -> PreferenceTraining.resume(Runs.REGISTRY, dir, row -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(dir + " was run on the backend 'twin', not 'jvm'; resume it on the same backend");
        assertThat(Runs.rows(dir)).hasSize(1 + 4);

        Path other = tmp.resolve("other");
        PreferenceTraining.train(Runs.REGISTRY, config, other, 4, row -> { });
        var provenance = (com.fasterxml.jackson.databind.node.ObjectNode) Runs.JSON.readTree(
                other.resolve(RunDirectory.PROVENANCE).toFile());
        provenance.putArray("extensions").add("org.example.GoneExtension");
        RunFiles.writeJson(other.resolve(RunDirectory.PROVENANCE), provenance);
        assertThatThrownBy(() -> PreferenceTraining.resume(Runs.REGISTRY, other, row -> { }))
                .hasMessageStartingWith(other + " was run with the extensions [org.example.GoneExtension], but [")
                .hasMessageEndingWith("are loaded now; resume it with the same plugins (--plugin-path)");

        // The same backend on other kernels (another float32 matrix kernel) rounds differently.
        Path kernels = tmp.resolve("kernels");
        PreferenceTraining.train(Runs.REGISTRY, config, kernels, 4, row -> { });
        var recorded = (com.fasterxml.jackson.databind.node.ObjectNode) Runs.JSON.readTree(
                kernels.resolve(RunDirectory.PROVENANCE).toFile());
        assertThat(recorded.get("backend_kernels").asText()).isEqualTo(Backends.current().describe()).startsWith("jvm (");
        recorded.put("backend_kernels", "jvm (float32 products on another kernel)");
        RunFiles.writeJson(kernels.resolve(RunDirectory.PROVENANCE), recorded);
        assertThatThrownBy(() -> PreferenceTraining.resume(Runs.REGISTRY, kernels, row -> { }))
                .hasMessageStartingWith(kernels + " was run on jvm (float32 products on another kernel), not jvm (")
                .hasMessageContaining("whose results differ in the last bits");
    }
}
