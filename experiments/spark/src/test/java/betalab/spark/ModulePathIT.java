package betalab.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as the launcher starts it — betalab's named modules on the module path, ND4J's
 * backend on the class path, the Spark engine's jars named by betalab.engine.path — with the
 * default engine, which loads no Spark class, and with {@code --engine spark --master local[1]}, on a
 * local directory and on HDFS.
 */
@Tag("cluster")
class ModulePathIT {
    private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private record Run(int code, String output) {
    }

    private Run betalab(String... args) throws IOException, InterruptedException {
        Path app = ROOT.resolve("app/target");
        Path nd4j = ROOT.resolve("tensor-nd4j/target");
        Path spark = ROOT.resolve("experiments/spark/target");
        assertThat(app.resolve("modules")).as("the app's build (mvn package at the root)").isDirectory();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.unsupported,jdk.incubator.vector", "-verbose:class",
                "-Dbetalab.engine.path=" + spark.resolve("betalab-spark.jar") + ":" + spark.resolve("engine-lib"),
                "-p", app.resolve("betalab-app.jar") + ":" + app.resolve("modules"),
                "-cp", nd4j.resolve("betalab-tensor-nd4j.jar") + ":" + nd4j.resolve("engine-lib") + "/*",
                "-m", "betalab.app/betalab.app.Main"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        return new Run(p.exitValue(), output);
    }

    @Test
    void theDefaultEngineLoadsNoSparkAndTheSparkEngineRunsBesideTheModules() throws Exception {
        Path config = Files.writeString(dir.resolve("s.yaml"), LocalSparkSweepTest.SWEEP.replace("seeds: 2", "seeds: 1"));

        Run pool = betalab("sweep", "--config", config.toString(), "--out", dir.resolve("pool").toString());
        assertThat(pool.code()).as(pool.output()).isZero();
        assertThat(pool.output()).contains("4 runs: 4 completed now").doesNotContain("org.apache.spark")
                .doesNotContain("betalab.spark");

        Run spark = betalab("sweep", "--config", config.toString(), "--out", dir.resolve("spark").toString(),
                "--engine", "spark", "--master", "local[1]", "--conf", "spark.ui.enabled=false");
        assertThat(spark.code()).as(spark.output()).isZero();
        assertThat(spark.output()).contains("4 runs: 4 completed now")
                .containsPattern("org.apache.spark.SparkContext source: .*engine-lib/spark-core");
        assertThat(Files.readString(dir.resolve("spark/aggregate.csv")))
                .isEqualTo(Files.readString(dir.resolve("pool/aggregate.csv")));

        // Hadoop's file systems found in the engine's own class loader.
        try (MiniHdfs hdfs = new MiniHdfs(dir.resolve("hdfs"))) {
            String out = MiniHdfs.WRITABLE + "/s";
            Run remote = betalab("sweep", "--config", config.toString(), "--out", hdfs.uri(out).toString(),
                    "--engine", "spark", "--master", "local[1]", "--conf", "spark.ui.enabled=false");
            assertThat(remote.code()).as(remote.output()).isZero();
            hdfs.copyDown(out, dir.resolve("hdfs-copy"));
            assertThat(Files.readString(dir.resolve("hdfs-copy/aggregate.csv")))
                    .isEqualTo(Files.readString(dir.resolve("pool/aggregate.csv")));
        }
    }
}
