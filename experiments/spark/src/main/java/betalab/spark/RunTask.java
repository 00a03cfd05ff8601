package betalab.spark;

import betalab.api.registry.Registry;
import betalab.sweep.Kind;
import betalab.sweep.RunAttempt;
import java.io.IOException;
import java.io.Serializable;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.spark.SparkBuildInfo;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;
import org.apache.spark.TaskContext;
import org.apache.spark.deploy.SparkHadoopUtil;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction2;

/**
 * One run on an executor: refuses when the executor's Spark or extension set differs from the
 * driver's; else runs into a local directory exactly as the in-process engine does, and copies that
 * directory to its attempt's own directory on the shared file system. The driver moves the first
 * attempt to finish into place; the others are never seen.
 */
final class RunTask extends AbstractFunction2<TaskContext, Iterator<Work>, TaskResult> implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The JVM backend's thread count (read once, when the backend first loads). */
    static final String THREADS_PROPERTY = "betalab.jvm.threads";

    private static Registry registry;
    private static Configuration hadoop;
    private static String host;

    private final Kind kind;
    private final String attempts;
    private final List<String> extensions;
    private final String sparkVersion;
    private final String backend;

    /**
     * @param attempts     the directory (a Hadoop path) that holds the attempts' directories
     * @param extensions   the driver's extension set, in order
     * @param sparkVersion the driver's Spark
     * @param backend      the driver's tensor backend as it describes itself (kernels included)
     */
    RunTask(Kind kind, String attempts, List<String> extensions, String sparkVersion, String backend) {
        this.kind = kind;
        this.attempts = attempts;
        this.extensions = List.copyOf(extensions);
        this.sparkVersion = sparkVersion;
        this.backend = backend;
    }

    @Override
    public TaskResult apply(TaskContext task, Iterator<Work> works) {
        Work work = works.next();
        String executor = "executor " + SparkEnv.get().executorId() + " on " + host();
        String version = SparkBuildInfo.spark_version();
        if (!version.equals(sparkVersion)) {
            return TaskResult.refused(executor, "runs Spark " + version + " where the driver runs Spark " + sparkVersion);
        }
        Registry here = registry(task.cpus());
        String kernels = betalab.api.tensor.Backends.current().describe();
        if (!kernels.equals(backend)) {
            return TaskResult.refused(executor, "runs the backend " + kernels + " where the driver runs " + backend
                    + ", whose numbers differ in the last bits: give the executors the driver's JVM options "
                    + "(spark.executor.extraJavaOptions)");
        }
        String differs = difference(extensions, here.extensions());
        if (differs != null) {
            return TaskResult.refused(executor, "loaded other extensions than the driver (" + differs + "): "
                    + "give the executors the same plugin jars (--conf spark.jars=…)");
        }
        Path local = null;
        try {
            local = Files.createTempDirectory(Path.of(SparkFiles.getRootDirectory()), "betalab-run-");
            Path runDir = local.resolve(work.id());
            long start = System.nanoTime();
            Exception error = RunAttempt.run(kind, here, work.config(), runDir);
            double seconds = (System.nanoTime() - start) / 1e9;
            org.apache.hadoop.fs.Path attempt = new org.apache.hadoop.fs.Path(attempts,
                    work.id() + "." + task.taskAttemptId());
            try {
                FileSystem fs = fileSystem(attempt, hadoop());
                fs.delete(attempt, true);
                TreeCopy.up(fs, runDir, attempt, p -> false, false);
            } catch (IOException e) {
                return TaskResult.refused(executor, "cannot write " + attempt + ": " + firstLine(e));
            }
            return new TaskResult(attempt.toString(), error == null ? null : firstLine(error), seconds, executor, null);
        } catch (IOException e) {
            return TaskResult.refused(executor, "cannot make a local directory for the run: " + firstLine(e));
        } finally {
            if (local != null) {
                try {
                    RunAttempt.delete(local);
                } catch (IOException ignored) {
                    // The executor's own directory: Spark removes it when the application ends.
                }
            }
        }
    }

    /**
     * This JVM's registry, made by the first task: its threads follow spark.task.cpus unless the JVM
     * was started with a count (executors are, through spark.executor.extraJavaOptions).
     */
    private static synchronized Registry registry(int cpus) {
        if (registry == null) {
            if (System.getProperty(THREADS_PROPERTY) == null) {
                System.setProperty(THREADS_PROPERTY, Integer.toString(cpus));
            }
            registry = Registry.discover();
        }
        return registry;
    }

    /** Hadoop's settings as Spark gives them (spark.hadoop.*), made once per JVM: reading them parses XML. */
    private static synchronized Configuration hadoop() {
        if (hadoop == null) {
            hadoop = SparkHadoopUtil.get().newConfiguration(SparkEnv.get().conf());
        }
        return hadoop;
    }

    /** The file system of {@code path}; for local files the raw one, which writes no checksum files beside the run's. */
    static FileSystem fileSystem(org.apache.hadoop.fs.Path path, Configuration conf) throws IOException {
        FileSystem fs = path.getFileSystem(conf);
        return fs instanceof LocalFileSystem local ? local.getRawFileSystem() : fs;
    }

    /** How two extension sets differ, or null when they are the same. */
    static String difference(List<String> driver, List<String> executor) {
        if (driver.equals(executor)) {
            return null;
        }
        List<String> missing = new ArrayList<>(driver);
        missing.removeAll(executor);
        List<String> extra = new ArrayList<>(executor);
        extra.removeAll(driver);
        List<String> parts = new ArrayList<>();
        if (!missing.isEmpty()) {
            parts.add("missing " + String.join(", ", missing));
        }
        if (!extra.isEmpty()) {
            parts.add("only here " + String.join(", ", extra));
        }
        return parts.isEmpty() ? "in another order" : String.join("; ", parts);
    }

    static String firstLine(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName()
                : message.lines().findFirst().orElse("");
    }

    static synchronized String host() {
        if (host == null) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                host = "an unknown host";
            }
        }
        return host;
    }
}
