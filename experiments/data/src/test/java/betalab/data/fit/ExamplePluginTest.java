package betalab.data.fit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.registry.Extension;
import betalab.api.registry.Extensions;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import betalab.bandit.BanditConfig;
import betalab.training.ConfigReader;
import betalab.training.ComponentConfig;
import betalab.training.RunDirectory;
import betalab.training.TrainConfig;
import betalab.training.Trainer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example plugin, built from examples/plugin and loaded from its jar, does what the README says. */
class ExamplePluginTest {
    private static final double E = Math.E;

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

        BetaEstimator.Provider beta = registry.betaEstimators().get("bounded_exp");
        assertThat(beta).isNotNull();
        assertThat(registry.losses()).containsKey("smooth_hinge").containsKey("sigmoid");
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

        assertThat(registry.betaEstimators().get("bounded_exp").origin().getModule().isNamed()).isFalse();
        assertThat(registry.losses().get("smooth_hinge").source()).isEqualTo(plainJar.toAbsolutePath().toString());
    }

    @Test
    void trainsWithThePluginsBetaThroughAConfigThatNamesIt() throws IOException {
        TrainConfig shipped = ConfigReader.read(Path.of("../examples/plugin/bandit-plugin-beta.yaml"));
        assertThat(shipped.beta().name()).isEqualTo("bounded_exp");
        assertThat(shipped.loss().name()).isEqualTo("smooth_hinge");
        // The shipped run, shrunk to a few steps on a small bandit.
        TrainConfig config = new TrainConfig(shipped.seed(), shipped.rng(), 12, 64, 6, 6, 0,
                new BanditConfig(256, 6, 6, 5, 1.0, 0.2, 0.25, 1), shipped.policy(), shipped.referenceSync(),
                shipped.loss(), shipped.beta(), shipped.optimizer());

        RunDirectory.Summary summary = new Trainer(registry(modularJar)).train(config, dir.resolve("train"));

        assertThat(summary.status()).isEqualTo("completed");
        double beta0 = ((Number) shipped.beta().knobs().get("beta0")).doubleValue();
        assertThat((double) summary.last().get("beta/max")).isLessThanOrEqualTo(beta0 * E * (1 + 1e-6));
        assertThat((double) summary.last().get("beta/min")).isGreaterThanOrEqualTo(beta0 / E * (1 - 1e-6));
        assertThat((double) summary.last().get("beta/std")).isPositive();
        JsonNode provenance = new ObjectMapper().readTree(dir.resolve("train/provenance.json").toFile());
        assertThat(provenance.get("extensions").toString()).contains("org.example.betalab.ExampleExtension");
    }

    @Test
    void fitsThePluginsBetaOfflineWithThePluginsLoss() throws IOException {
        FitConfig sample = FitConfigReader.read(BetaFitterTest.SAMPLE_CONFIG);
        FitConfig config = new FitConfig(sample.data(), 1, "torch", 3, 32, 5, 1000, 0.2, 0,
                new ComponentConfig("bounded_exp", Map.of("beta0", 0.5)), new ComponentConfig("smooth_hinge",
                Map.of("tau", 0.5)), sample.optimizer());

        RunDirectory.Summary summary = new BetaFitter(registry(plainJar)).fit(config, dir.resolve("fit"));

        assertThat(summary.status()).isEqualTo("completed");
        assertThat((double) summary.last().get("eval/beta/max")).isLessThanOrEqualTo(0.5 * E * (1 + 1e-6));
        assertThat(Files.readString(dir.resolve("fit/config.json"))).contains("bounded_exp", "smooth_hinge");
    }

    @Test
    void theSmoothHingeIsDpoAtTauOneAndMarginZeroAndTheHingeAsTauVanishes() {
        Registry registry = registry(modularJar);
        double[] h = {-3, -0.5, 0, 0.2, 1.5, 40};
        Tensor margin = Tensor.of(DType.FLOAT64, h, h.length);
        PreferenceBatch batch = PreferenceBatch.ofMargins(margin, null);
        Tensor beta = Tensor.full(DType.FLOAT64, 0.5, h.length);

        double[] dpo = registry.loss("sigmoid", Map.of()).perPair(batch, beta).toDoubleArray();
        double[] smooth = registry.loss("smooth_hinge", Map.of("tau", 1, "margin", 0)).perPair(batch, beta)
                .toDoubleArray();
        double[] sharp = registry.loss("smooth_hinge", Map.of("tau", 1e-4)).perPair(batch, beta).toDoubleArray();

        for (int i = 0; i < h.length; i++) {
            assertThat(smooth[i]).isCloseTo(dpo[i], within(1e-12));
            assertThat(sharp[i]).isCloseTo(Math.max(0, 1 - 0.5 * h[i]), within(1e-4));
        }
    }

    @Test
    void aNameBoundTwiceFailsOnOneLineNamingBothProviders() {
        assertThatThrownBy(() -> Extensions.discover(List.of(modularJar, plainJar)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("duplicate loss 'smooth_hinge': provided by org.example.betalab.")
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
