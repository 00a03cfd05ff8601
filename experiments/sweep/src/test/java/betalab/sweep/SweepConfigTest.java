package betalab.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.api.registry.Registry;
import betalab.seed.SeedExperiment;
import betalab.training.Config;
import betalab.training.PreferenceTraining;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SweepConfigTest {
    static final String BASE = """
            base:
              steps: 10
              task: {name: bandit, prompts: 64, prompt_dim: 4, response_dim: 4, candidates: 4}
              loss: {name: sigmoid}
              beta: {name: fixed, beta: 0.1}
              optimizer: {name: adam, lr: 0.01}
            """;

    @TempDir
    Path dir;

    private SweepConfig read(String yaml) throws IOException {
        return SweepConfig.read(Files.writeString(dir.resolve("sweep.yaml"), yaml));
    }

    @Test
    void gridMultipliesMethodsFieldsAndSeeds() throws IOException {
        SweepConfig c = read(BASE + """
                methods:
                  dpo: {}
                  learnable_beta: {beta: {name: policy_mlp, hidden: [4]}}
                grid:
                  task.label_noise: [0.0, 0.2]
                  beta.beta_penalty: [0.0, 0.5]
                seeds: 2
                """);
        List<SweepRun> runs = c.runs();

        assertThat(runs).hasSize(2 * 2 * 2 * 2);
        assertThat(c.columns()).containsExactly("method", "task.label_noise", "beta.beta_penalty");
        assertThat(runs.get(0).id()).isEqualTo("dpo__label_noise=0.0__beta_penalty=0.0__seed=0");
        assertThat(runs.get(15).id()).isEqualTo("learnable_beta__label_noise=0.2__beta_penalty=0.5__seed=1");
        assertThat(runs.get(15).cell()).isEqualTo("learnable_beta__label_noise=0.2__beta_penalty=0.5");
        assertThat(runs.get(15).fields()).containsExactly(Map.entry("method", "learnable_beta"),
                Map.entry("task.label_noise", "0.2"), Map.entry("beta.beta_penalty", "0.5"));
        // A method replaces its section whole; a dotted path then sets one knob in it.
        assertThat(runs.get(15).config().at("/beta").toString())
                .isEqualTo("{\"name\":\"policy_mlp\",\"hidden\":[4],\"beta_penalty\":0.5}");
        assertThat(runs.get(15).config().at("/task/label_noise").asDouble()).isEqualTo(0.2);
        assertThat(runs.get(15).config().at("/task/prompts").asInt()).isEqualTo(64);
        assertThat(runs.get(15).config().get("seed").asLong()).isEqualTo(1);
        assertThat(runs.stream().map(SweepRun::id).distinct()).hasSize(16);
        assertThat(c.baseline()).isEqualTo("dpo");
        assertThat(c.x()).isEqualTo("task.label_noise");
    }

    @Test
    void anExplicitListAddsOnePointPerEntry() throws IOException {
        SweepConfig c = read(BASE + """
                list:
                  - {batch_size: 16}
                  - {batch_size: 32, optimizer.lr: 0.02}
                seeds: [3, 7]
                """);
        List<SweepRun> runs = c.runs();

        assertThat(runs).extracting(SweepRun::id).containsExactly("batch_size=16__seed=3", "batch_size=16__seed=7",
                "batch_size=32__lr=0.02__seed=3", "batch_size=32__lr=0.02__seed=7");
        assertThat(runs.get(0).fields()).containsEntry("optimizer.lr", "");
        assertThat(runs.get(0).config().at("/optimizer/lr").asDouble()).isEqualTo(0.01);
        assertThat(runs.get(2).config().at("/optimizer/lr").asDouble()).isEqualTo(0.02);
        assertThat(runs.get(3).seed()).isEqualTo(7);
    }

    @Test
    void zippedFieldsVaryTogether() throws IOException {
        SweepConfig c = read(BASE + """
                grid:
                  task.label_noise: [0.0, 0.1]
                zip:
                  optimizer.lr: [0.01, 0.003, 0.001]
                  steps: [10, 20, 30]
                """);
        List<SweepRun> runs = c.runs();

        assertThat(runs).hasSize(2 * 3);
        assertThat(runs).extracting(r -> r.config().get("steps").asInt() + "@" + r.config().at("/optimizer/lr").asText())
                .containsExactly("10@0.01", "20@0.003", "30@0.001", "10@0.01", "20@0.003", "30@0.001");
        assertThat(runs.get(1).id()).isEqualTo("label_noise=0.0__lr=0.003__steps=20__seed=0");
    }

    @Test
    void withoutSeedsTheBasesSeedRunsOnce() throws IOException {
        SweepConfig c = read(BASE.replace("steps: 10", "steps: 10\n  seed: 5"));
        assertThat(c.runs()).extracting(SweepRun::id).containsExactly("seed=5");
        assertThat(c.runs().get(0).cell()).isEqualTo("base");
    }

    @Test
    void theBaseMayBeAPathBesideTheSweep() throws IOException {
        Files.writeString(dir.resolve("train.yaml"), BASE.replace("base:\n", "").replace("\n  ", "\n").strip() + "\n");
        SweepConfig c = read("base: train.yaml\nseeds: 1\n");
        assertThat(c.runs().get(0).config().at("/task/prompts").asInt()).isEqualTo(64);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "grids: {steps: [1]}|unknown field 'grids'; known: base, baseline, grid, kind, list",
            "zip: {steps: [1, 2], batch_size: [4]}|field 'zip.batch_size': has 1 values where the first zipped field has 2",
            "methods: {a: {}}\\nbaseline: b|field 'baseline': 'b' is not a method; methods: a",
            "grid: {steps: [1, 1]}|two runs would share the id steps=1__seed=0",
            "grid: {seed: [1, 2]}|field 'seed': sweep seeds with 'seeds', not in the axes",
            "grid: {steps: []}|field 'grid.steps': expected a non-empty list",
            "kind: eval|field 'kind': expected train or seed, got eval",
            "seeds: 0|field 'seeds': a count must be ≥ 1, got 0",
            "x: steps|field 'x': 'steps' is not a swept field",
            "name: ../../escape|field 'name': '../../escape' is not a folder name",
            "name: /tmp/escape|field 'name': '/tmp/escape' is not a folder name",
            "name: ..|field 'name': '..' is not a folder name",
            "name: a\\b|field 'name': 'a\\b' is not a folder name",
    })
    void mistakesAreOneLineNamingTheField(String extra, String message) throws IOException {
        Path file = Files.writeString(dir.resolve("bad.yaml"), BASE + extra.replace("\\n", "\n") + "\n");
        assertThatThrownBy(() -> SweepConfig.read(file).runs()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message).hasMessageNotContaining("\n");
    }

    /** A path through a value that is not a section fails when the file is read, naming it, not when the sweep runs. */
    @Test
    void aPathThatCannotBeSetFailsWhenRead() throws IOException {
        Path file = Files.writeString(dir.resolve("bad.yaml"), BASE + "grid: {steps.every: [1]}\n");
        assertThatThrownBy(() -> SweepConfig.read(file))
                .hasMessage(file + ": cannot set 'steps.every': 'steps' is not a section");
    }

    /** Methods, grid values and seeds are hostile strings too: every run's directory stays in runs/. */
    @Test
    void runIdsStayInsideTheRunsFolder() throws IOException {
        SweepConfig c = read(BASE + """
                methods:
                  ../../escape: {}
                  /abs: {}
                grid:
                  task.label_noise: [0.0]
                  optimizer.name: [../.., "a/b\\\\c"]
                """);
        Path runs = dir.resolve("out/runs");
        for (SweepRun run : c.runs()) {
            Path runDir = Sweep.runDirectory(dir.resolve("out"), run);
            assertThat(runDir.normalize().getParent()).as(run.id()).isEqualTo(runs);
            assertThat(run.id()).doesNotContain("/", "\\");
        }
        assertThat(c.runs()).hasSize(4);
    }

    @Test
    void aTrainConfigMistakeNamesTheFileTheRunAndTheField() throws IOException {
        SweepConfig c = read(BASE + "grid: {task.label_nois: [0.1]}\n");
        assertThatThrownBy(() -> new Sweep(Registry.discover(), c, dir.resolve("out")).run(1, SweepTest.SILENT))
                .hasMessage(dir.resolve("sweep.yaml") + ": run label_nois=0.1__seed=0: field 'task.label_nois' is "
                        + "not a knob of task 'bandit'; "
                        + "known: prompts, prompt_dim, response_dim, candidates, temperature, label_noise, "
                        + "eval_fraction, pairs_per_prompt");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    /** An unknown β scheme or a bad knob inside a method fails before anything runs, naming the method's run. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{beta: {name: policy_mpl}}|run typo__seed=0: field 'beta.name' names unknown beta 'policy_mpl'; available: ",
            "{beta: {name: policy_mlp, hiden: [4]}}|run typo__seed=0: field 'beta.hiden' is not a knob of beta 'policy_mlp'; known: hidden",
            "{loss: {name: robust, epsilon: 0.7}}|run typo__seed=0: field 'loss.epsilon' must be ",
    })
    void aMethodsMistakeFailsBeforeAnythingRuns(String method, String message) throws IOException {
        SweepConfig c = read(BASE + "methods:\n  dpo: {}\n  typo: " + method + "\n");
        assertThatThrownBy(() -> new Sweep(Registry.discover(), c, dir.resolve("out")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(dir.resolve("sweep.yaml") + ": " + message).hasMessageNotContaining("\n");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    /** A config that still says environment: names what took its place. */
    @Test
    void theOldEnvironmentSectionFailsWithTheHint() throws IOException {
        SweepConfig c = read(BASE.replace("task: {name: bandit,", "environment: {"));
        assertThatThrownBy(() -> new Sweep(Registry.discover(), c, dir.resolve("out")).run(1, SweepTest.SILENT))
                .hasMessageStartingWith(dir.resolve("sweep.yaml") + ": run seed=0: field 'environment' is no longer "
                        + "read: ")
                .hasMessageContaining("task: {name: bandit");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    /** The shipped studies: 9 methods × 5 ε × 5 seeds and 20 seeds, every run's config valid. */
    @Test
    void theFlagshipStudiesExpandToValidRuns() {
        Path examples = Path.of(System.getProperty("user.dir")).resolve("../../examples");
        Registry registry = Registry.discover();
        SweepConfig compare = SweepConfig.read(examples.resolve("compare-noise.yaml"));
        List<SweepRun> runs = compare.runs();
        assertThat(runs).hasSize(250);
        assertThat(compare.methods()).containsExactly("dpo", "learnable_beta", "learnable_beta_reg",
                "learnable_beta_init", "cdpo", "robust", "beta_dpo", "epsilon_dpo", "kl_controller", "ipo");
        Runner train = Runner.of(Kind.TRAIN, registry);
        for (SweepRun run : runs) {
            Config config = train.resolve(run.config());
            assertThat(config.component("task").knobs().get("label_noise")).isEqualTo(Double.parseDouble(
                    run.fields().get("task.label_noise")));
            assertThat(config.get(PreferenceTraining.SEED)).isEqualTo(run.seed());
        }
        SweepConfig seeds = SweepConfig.read(examples.resolve("seed-sweep.yaml"));
        assertThat(seeds.kind()).isEqualTo(Kind.SEED);
        assertThat(seeds.runs()).hasSize(20);
        Runner seed = Runner.of(Kind.SEED, registry);
        for (SweepRun run : seeds.runs()) {
            Config config = seed.resolve(run.config());
            assertThat(config.component("beta").knobs().get("hidden")).isEqualTo(List.of(10));
            assertThat(config.get(SeedExperiment.SEED)).isEqualTo(run.seed());
        }
        SweepConfig quick = SweepConfig.read(examples.resolve("sweep-quick.yaml"));
        quick.runs().forEach(r -> train.resolve(r.config()));
        // As the sweep command checks them, headline metrics included; nothing is written.
        for (SweepConfig study : List.of(compare, seeds, quick)) {
            new Sweep(registry, study, dir.resolve("out"));
        }
        assertThat(dir.resolve("out")).doesNotExist();
    }
}
