package betalab.data.fit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.registry.Extension;
import betalab.api.registry.Extensions;
import betalab.api.registry.Provider;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import betalab.training.Config;
import betalab.training.ConfigTree;
import betalab.training.PreferenceTraining;
import betalab.training.RunDirectory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example plugin, built from examples/plugin and loaded from its jar, does what the README says. */
class ExamplePluginTest {
    /** The shipped training config that names the plugin's β and loss, from the data module's folder. */
    private static final Path PLUGIN_CONFIG = Path.of("../../examples/plugin/bandit-plugin-beta.yaml");

    @TempDir
    static Path dir;
    private static Path modularJar;
    private static Path plainJar;

    @BeforeAll
    static void build() throws IOException {
        modularJar = ExamplePlugin.jar(dir, true);
        plainJar = ExamplePlugin.jar(dir, false);
    }

    private static Registry registry(Path jar) {
        return Registry.of(Extensions.discover(List.of(jar)));
    }

    @Test
    void aModularJarLoadsAsANamedModuleAndSaysWhereItsComponentsCameFrom() {
        Registry registry = registry(modularJar);

        Provider<BetaEstimator, BetaEstimator.Context> beta = registry.provider(BetaEstimator.POINT, "bounded_tanh");
        assertThat(registry.providers(PreferenceLoss.POINT)).containsKey("smooth_hinge").containsKey("sigmoid");
        assertThat(registry.extensions()).contains("org.example.betalab.ExampleExtension",
                "betalab.loss.LossesExtension");
        // betalab's tests run as modules, as the launcher does, so the plugin gets a layer of its own.
        assertThat(Extension.class.getModule().isNamed()).isTrue();
        assertThat(beta.origin().getModule().getName()).isEqualTo("org.example.betalab");
        assertThat(beta.source()).isEqualTo("org.example.betalab (" + modularJar.toAbsolutePath() + ")");
    }

    @Test
    void aPlainJarLoadsThroughItsServicesFile() {
        Registry registry = registry(plainJar);

        assertThat(registry.provider(BetaEstimator.POINT, "bounded_tanh").origin().getModule().isNamed()).isFalse();
        assertThat(registry.provider(PreferenceLoss.POINT, "smooth_hinge").source())
                .isEqualTo(plainJar.toAbsolutePath().toString());
    }

    @Test
    void trainsWithThePluginsBetaThroughAConfigThatNamesIt() throws IOException {
        Registry registry = registry(modularJar);
        Map<String, Object> shipped = ConfigTree.read(PLUGIN_CONFIG).root();
        Config resolved = PreferenceTraining.resolve(ConfigTree.of(shipped, null), registry);
        assertThat(resolved.component("beta").name()).isEqualTo("bounded_tanh");
        assertThat(resolved.component("loss").name()).isEqualTo("smooth_hinge");
        // The shipped run, shrunk to a few steps on a small bandit.
        Map<String, Object> small = new LinkedHashMap<>(shipped);
        small.putAll(Map.of("steps", 12, "batch_size", 64, "eval_every", 6));
        small.put("task", Map.of("name", "bandit", "prompts", 256, "prompt_dim", 6, "response_dim", 6,
                "candidates", 5, "label_noise", 0.2, "eval_fraction", 0.25));
        Config config = PreferenceTraining.resolve(ConfigTree.of(small, null), registry);

        RunDirectory.Summary summary = PreferenceTraining.train(registry, config, dir.resolve("train"),
                Integer.MAX_VALUE, row -> { });

        assertThat(summary.status()).isEqualTo("completed");
        // bounded_tanh keeps β within (0, 2β₀), and β varies with the prompt.
        double beta0 = (double) resolved.component("beta").knobs().get("beta0");
        assertThat((double) summary.last().get("beta/max")).isLessThan(2 * beta0);
        assertThat((double) summary.last().get("beta/min")).isPositive();
        assertThat((double) summary.last().get("beta/std")).isPositive();
        JsonNode provenance = new ObjectMapper().readTree(dir.resolve("train/provenance.json").toFile());
        assertThat(provenance.get("extensions").toString()).contains("org.example.betalab.ExampleExtension");
        // The plugin's jar is recorded by name, version and content.
        JsonNode plugin = provenance.get("plugins").get(0);
        assertThat(plugin.get("file").asText()).isEqualTo(modularJar.getFileName().toString());
        assertThat(plugin.get("sha256").asText()).isEqualTo(betalab.training.Provenance.sha256(modularJar));
        assertThat(plugin.has("version")).isTrue();
    }

    @Test
    void aPluginThatFailsWhileBindingIsNamedWithItsJarOnOneLine() throws IOException {
        Path jar = ExamplePlugin.plainJar(dir, "org.example.boom.BoomExtension", """
                package org.example.boom;

                public final class BoomExtension extends com.google.inject.AbstractModule
                        implements betalab.api.registry.Extension {
                    @Override
                    protected void configure() {
                        throw new IllegalStateException("no licence key found");
                    }
                }
                """);
        assertThatThrownBy(() -> Extensions.discover(List.of(jar)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("org.example.boom.BoomExtension [" + jar.toAbsolutePath()
                        + "]: java.lang.IllegalStateException: no licence key found");
    }

    @Test
    void fitsThePluginsBetaOfflineWithThePluginsLoss() throws IOException {
        Registry registry = registry(plainJar);
        Map<String, Object> sample = new LinkedHashMap<>(ConfigTree.read(BetaFitterTest.SAMPLE_CONFIG).root());
        sample.putAll(Map.of("seed", 1, "epochs", 3, "log_every", 5, "shuffle_buffer", 1000));
        sample.put("beta", Map.of("name", "bounded_tanh", "beta0", 0.5));
        sample.put("loss", Map.of("name", "smooth_hinge", "tau", 0.5));
        Config config = BetaFitter.resolve(ConfigTree.of(sample, null), registry,
                BetaFitterTest.SAMPLE_CONFIG.toAbsolutePath().getParent());

        RunDirectory.Summary summary = BetaFitter.fit(registry, config, dir.resolve("fit"), row -> { });

        assertThat(summary.status()).isEqualTo("completed");
        assertThat((double) summary.last().get("eval/beta/max")).isLessThan(2 * 0.5);
        assertThat(Files.readString(dir.resolve("fit/config.json"))).contains("bounded_tanh", "smooth_hinge");
    }

    @Test
    void theSmoothHingeIsDpoAtTauOneAndMarginZeroAndTheHingeAsTauVanishes() {
        Registry registry = registry(modularJar);
        double[] h = {-3, -0.5, 0, 0.2, 1.5, 40};
        Tensor margin = Tensor.of(DType.FLOAT64, h, h.length);
        PreferenceBatch batch = PreferenceBatch.ofMargins(margin, null);
        Tensor beta = Tensor.full(DType.FLOAT64, 0.5, h.length);

        double[] dpo = loss(registry, "sigmoid", Map.of()).perPair(batch, beta).toDoubleArray();
        double[] smooth = loss(registry, "smooth_hinge", Map.of("tau", 1, "margin", 0)).perPair(batch, beta)
                .toDoubleArray();
        double[] sharp = loss(registry, "smooth_hinge", Map.of("tau", 1e-4)).perPair(batch, beta).toDoubleArray();

        for (int i = 0; i < h.length; i++) {
            assertThat(smooth[i]).isCloseTo(dpo[i], within(1e-12));
            assertThat(sharp[i]).isCloseTo(Math.max(0, 1 - 0.5 * h[i]), within(1e-4));
        }
    }

    private static PreferenceLoss loss(Registry registry, String name, Map<String, ?> knobs) {
        return registry.create(PreferenceLoss.POINT, name, knobs, null);
    }

    @Test
    void twoJarsOfOnePluginFailOnOneLineNamingBoth() {
        assertThatThrownBy(() -> Extensions.discover(List.of(modularJar, plainJar)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("plugins ")
                .hasMessageContaining("both provide org.example.betalab.ExampleExtension")
                .hasMessageContaining(modularJar.toAbsolutePath().toString())
                .hasMessageContaining(plainJar.toAbsolutePath().toString())
                .hasMessageNotContaining("\n");
    }

    @Test
    void aMissingPluginIsNamed() {
        Path absent = dir.resolve("absent.jar");
        assertThatThrownBy(() -> Extensions.discover(List.of(absent)))
                .hasMessage("plugin path " + absent + ": no such file or directory");
    }
}
