package betalab.spark;

import betalab.sweep.RunAttempt;
import betalab.sweep.Sweep;
import betalab.sweep.SweepEngine;
import betalab.sweep.SweepRun;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkBuildInfo;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * Runs a sweep's runs as the tasks of one Spark job, one run per task. The runs' configs go out as
 * JSON; each task runs its run on an executor and copies its directory to an attempt directory of
 * its own under the sweep's {@value #ATTEMPTS}, through Hadoop's FileSystem; the driver moves the
 * first attempt of each run to finish into {@code runs/<id>} (Spark hands it one result per task
 * however often a task was retried or speculated), so a run directory is never half-written or
 * written twice. Attempts that lost are deleted when the job ends, and at the next start.
 */
final class SparkSweepEngine implements SweepEngine {
    private static final Logger LOG = LoggerFactory.getLogger(SparkSweepEngine.class);

    /** In the sweep's directory: the attempts in flight, one directory each. Hidden, so no report lists it. */
    static final String ATTEMPTS = ".attempts";

    /** The engine's own option; every other is a Spark setting. */
    static final String MASTER = "master";

    /** Where betalab-spark-submit.jar is, when not beside this module's jar (tests set it). */
    static final String SUBMIT_JAR_PROPERTY = "betalab.spark.submitJar";
    static final String SUBMIT_JAR = "betalab-spark-submit.jar";

    /** spark-submit's settings (system properties) and the options: checked here, before any sweep is touched. */
    private final SparkConf base;

    /** The remote directories this engine opened, by the local copy a sweep runs in. */
    private final Map<Path, RemoteDirectory> remotes = new HashMap<>();

    SparkSweepEngine(Map<String, String> options) {
        for (String key : options.keySet()) {
            if (!key.equals(MASTER) && !key.startsWith("spark.")) {
                throw new IllegalArgumentException("Spark engine: unknown option '" + key + "'; it takes "
                        + MASTER + " and Spark settings (spark.…)");
            }
        }
        base = new SparkConf();
        options.forEach((k, v) -> base.set(k.equals(MASTER) ? "spark.master" : k, v));
        if (!base.contains("spark.master")) {
            throw new IllegalArgumentException("no Spark master: give --master (local[N], spark://host:port, or "
                    + "whatever your cluster takes), or run through spark-submit");
        }
        requireReachable(base.get("spark.master"));
        int cpus = base.getInt("spark.task.cpus", 1);
        if (cpus < 1) {
            throw new IllegalArgumentException("spark.task.cpus must be ≥ 1, got " + cpus);
        }
    }

    @Override
    public int slots() {
        return 0;
    }

    @Override
    public SweepEngine.Remote remote(URI out, Path local) {
        RemoteDirectory remote = inEngineLoader(() -> RemoteDirectory.open(out, local, hadoop(base)));
        remotes.put(local.toAbsolutePath(), remote);
        return remote;
    }

    @Override
    public int execute(Plan plan, Sweep.Listener listener) {
        return inEngineLoader(() -> run(plan, listener));
    }

    /**
     * Runs {@code work} with this module's loader as the thread's context loader: Spark finds its
     * classes, Hadoop its file systems, and the executors in this JVM the task's, through it.
     */
    static <T> T inEngineLoader(Supplier<T> work) {
        Thread thread = Thread.currentThread();
        ClassLoader before = thread.getContextClassLoader();
        thread.setContextClassLoader(SparkSweepEngine.class.getClassLoader());
        try {
            return work.get();
        } finally {
            thread.setContextClassLoader(before);
        }
    }

    private int run(Plan plan, Sweep.Listener listener) {
        SparkConf conf = conf(plan);
        String master = conf.get("spark.master");
        RemoteDirectory remote = remotes.get(plan.dir().toAbsolutePath());
        org.apache.hadoop.fs.Path shared = remote != null ? remote.root()
                : new org.apache.hadoop.fs.Path(plan.dir().toAbsolutePath().toUri());
        String attempts = new org.apache.hadoop.fs.Path(shared, ATTEMPTS).toString();
        FileSystem fs = prepare(attempts, conf);
        SparkContext sc;
        try {
            sc = new SparkContext(conf);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot start Spark on " + master + ": " + RunTask.firstLine(rootCause(e)), e);
        }
        // A standalone master that never registered the application leaves Spark's stand-in id, and a
        // context being stopped on another thread, on which a job could wait for ever.
        if (master.startsWith("spark://") && sc.applicationId().startsWith("spark-application-")) {
            sc.stop();
            clean(fs, attempts);
            throw new IllegalStateException("the Spark master " + master + " did not take the application in a "
                    + "minute: it is a standby, runs another Spark than this driver's " + SparkBuildInfo.spark_version()
                    + " (Scala 2.13), or cannot connect back to this driver at " + sc.getConf().get("spark.driver.host", "?")
                    + " (spark.driver.host); the master's log says which");
        }
        try {
            return run(sc, fs, plan, new org.apache.hadoop.fs.Path(shared, Sweep.RUNS), remote, attempts, listener);
        } finally {
            sc.stop();
            clean(fs, attempts);
        }
    }

    private int run(SparkContext sc, FileSystem fs, Plan plan, org.apache.hadoop.fs.Path runs, RemoteDirectory remote,
                    String attempts, Sweep.Listener listener) {
        List<Job> jobs = plan.jobs();
        List<Work> works = jobs.stream().map(j -> new Work(j.run().id(), j.config())).toList();
        Started started = new Started(jobs, listener);
        sc.addSparkListener(started);
        RunTask task = new RunTask(plan.kind(), attempts, plan.registry().extensions(), SparkBuildInfo.spark_version(),
                betalab.api.tensor.Backends.current().describe());
        Commit commit = new Commit(fs, runs, remote, jobs, started, listener);
        LOG.info("sweep {}: {} runs on Spark {} ({})", plan.name(), jobs.size(), sc.version(), sc.master());
        try {
            sc.runJob(new JavaSparkContext(sc).parallelize(works, works.size()).rdd(), task, commit,
                    ClassTag$.MODULE$.apply(TaskResult.class));
        } catch (Exception e) { // Scala throws SparkException, which Java counts as checked
            Throwable cause = rootCause(e);
            if (cause instanceof Refused refused) {
                throw new IllegalStateException(refused.getMessage(), e);
            }
            throw new IllegalStateException("the Spark job failed: " + RunTask.firstLine(e), e);
        }
        return commit.failed;
    }

    /** Spark's settings: spark-submit's (system properties), then the options; threads follow spark.task.cpus. */
    private SparkConf conf(Plan plan) {
        SparkConf conf = base.clone();
        String master = conf.get("spark.master");
        conf.setIfMissing("spark.app.name", "betalab sweep " + plan.name());
        int cpus = conf.getInt("spark.task.cpus", 1);
        String threads = "-D" + RunTask.THREADS_PROPERTY + "=" + cpus;
        // Executors run the driver's kernels, whose float32 rounding the runs' numbers depend on (each
        // task checks that it describes its backend as the driver does).
        boolean vector = betalab.api.tensor.Backends.current().describe().contains("vector kernel");
        String kernels = vector ? " --add-modules jdk.incubator.vector" : " -Dbetalab.jvm.vectorMatmul=false";
        conf.set("spark.executor.extraJavaOptions",
                (conf.get("spark.executor.extraJavaOptions", "") + " " + threads + kernels).trim());
        for (String variable : List.of("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")) {
            conf.setIfMissing("spark.executorEnv." + variable, Integer.toString(cpus));
        }
        if (!master.startsWith("local[") && !master.equals("local")) {
            List<String> jars = new ArrayList<>(Arrays.asList(conf.get("spark.jars", "").split(",")));
            jars.removeIf(String::isBlank);
            if (jars.stream().noneMatch(j -> j.endsWith(SUBMIT_JAR))) {
                jars.add(submitJar().toUri().toString());
            }
            plan.registry().pluginJars().forEach(p -> jars.add(p.toAbsolutePath().toUri().toString()));
            conf.set("spark.jars", String.join(",", jars));
        }
        return conf;
    }

    /** betalab for the executors: the jar beside this module's, or where the property says. */
    private static Path submitJar() {
        String property = System.getProperty(SUBMIT_JAR_PROPERTY);
        Path jar;
        if (property != null) {
            jar = Path.of(property);
        } else {
            try {
                Path own = Path.of(SparkSweepEngine.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                jar = own.getFileName().toString().equals(SUBMIT_JAR) ? own : own.resolveSibling(SUBMIT_JAR);
            } catch (URISyntaxException | RuntimeException e) {
                throw new IllegalStateException("cannot tell where the Spark engine's jar is: " + e.getMessage(), e);
            }
        }
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("the executors need " + jar + ", which is missing; build it (mvn package) "
                    + "or name one with -D" + SUBMIT_JAR_PROPERTY + "=…");
        }
        return jar;
    }

    /**
     * A standalone master that does not answer, or runs another Spark, fails in seconds, not after
     * Spark's minute of retries.
     */
    static void requireReachable(String master) {
        if (!master.startsWith("spark://")) {
            return;
        }
        String failure = null;
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            int colon = hostPort.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("Spark master " + master + ": expected spark://host:port");
            }
            String host = hostPort.substring(0, colon);
            int port;
            try {
                port = Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Spark master " + master + ": '" + hostPort.substring(colon + 1)
                        + "' is not a port");
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), 5000);
            } catch (IOException e) {
                failure = RunTask.firstLine(e);
                continue;
            }
            inEngineLoader(() -> {
                StandaloneMaster.requireSameSpark(master, host, port);
                return null;
            });
            return;
        }
        throw new IllegalArgumentException("cannot reach the Spark master " + master + ": " + failure);
    }

    /** Checks, before Spark starts, that the sweep's directory takes attempts, and removes old ones. */
    private static FileSystem prepare(String attempts, SparkConf conf) {
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(attempts);
        try {
            FileSystem fs = RunTask.fileSystem(path, hadoop(conf));
            fs.delete(path, true);
            if (!fs.mkdirs(path)) {
                throw new IOException("mkdirs failed");
            }
            org.apache.hadoop.fs.Path probe = new org.apache.hadoop.fs.Path(path, ".probe");
            fs.create(probe, true).close();
            fs.delete(probe, false);
            return fs;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + path + ": " + RunTask.firstLine(e), e);
        }
    }

    /** Hadoop's settings on the driver: its defaults and the spark.hadoop.* settings, as executors get them. */
    private static Configuration hadoop(SparkConf conf) {
        Configuration hadoop = new Configuration();
        for (var e : conf.getAll()) {
            if (e._1().startsWith("spark.hadoop.")) {
                hadoop.set(e._1().substring("spark.hadoop.".length()), e._2());
            }
        }
        return hadoop;
    }

    private static void clean(FileSystem fs, String attempts) {
        try {
            fs.delete(new org.apache.hadoop.fs.Path(attempts), true);
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", attempts, e.getMessage());
        }
    }

    private static Throwable rootCause(Throwable e) {
        return cause(e, t -> t instanceof Refused);
    }

    /** The first of {@code e} and its causes that {@code wanted} takes, else the last cause. */
    static Throwable cause(Throwable e, Predicate<Throwable> wanted) {
        Throwable t = e;
        Set<Throwable> seen = new HashSet<>();
        while (t.getCause() != null && seen.add(t)) {
            if (wanted.test(t)) {
                return t;
            }
            t = t.getCause();
        }
        return t;
    }

    /** An executor would not run a run: the sweep stops, naming the executor and why. */
    static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    /** Tells the listener when a run's first attempt starts (Spark's listener bus, a thread of its own). */
    static final class Started extends SparkListener {
        private final List<Job> jobs;
        private final Sweep.Listener listener;
        private final Set<Integer> started = new HashSet<>();

        Started(List<Job> jobs, Sweep.Listener listener) {
            this.jobs = jobs;
            this.listener = listener;
        }

        @Override
        public void onTaskStart(SparkListenerTaskStart event) {
            start(event.taskInfo().index());
        }

        synchronized void start(int index) {
            if (index >= 0 && index < jobs.size() && started.add(index)) {
                listener.started(jobs.get(index).run());
            }
        }
    }

    /**
     * On the driver, once per run: moves the attempt that finished into {@code runs/<id>} (replacing an
     * earlier, unfinished or failed directory of that run) and tells the listener. A refusal stops the job.
     */
    static final class Commit extends AbstractFunction2<Object, TaskResult, BoxedUnit> {
        private final FileSystem fs;
        private final org.apache.hadoop.fs.Path runs;
        private final RemoteDirectory remote;
        private final List<Job> jobs;
        private final Started started;
        private final Sweep.Listener listener;
        int failed;

        /** @param remote the remote directory whose local copy gets each run, or null when the runs are local */
        Commit(FileSystem fs, org.apache.hadoop.fs.Path runs, RemoteDirectory remote, List<Job> jobs, Started started,
               Sweep.Listener listener) {
            this.fs = fs;
            this.runs = runs;
            this.remote = remote;
            this.jobs = jobs;
            this.started = started;
            this.listener = listener;
        }

        @Override
        public BoxedUnit apply(Object index, TaskResult result) {
            SweepRun run = jobs.get((Integer) index).run();
            if (result.refusal() != null) {
                throw new Refused(result.executor() + " " + result.refusal() + " (run " + run.id() + ")");
            }
            org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(runs, run.id());
            org.apache.hadoop.fs.Path attempt = new org.apache.hadoop.fs.Path(result.attempt());
            try {
                if (!fs.exists(attempt)) {
                    throw new Refused(result.executor() + " wrote run " + run.id() + " to " + attempt + ", which the "
                            + "driver does not see: the sweep's directory must be one the driver and every executor "
                            + "share (a shared mount, hdfs://, s3a://)");
                }
                fs.delete(target, true);
                fs.mkdirs(runs);
                if (!fs.rename(attempt, target)) {
                    throw new IOException("rename from " + result.attempt() + " failed");
                }
                if (remote != null) {
                    remote.pullRun(run.id());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot move run " + run.id() + " into place: " + e.getMessage(), e);
            }
            started.start((Integer) index);
            if (result.error() != null) {
                failed++;
            }
            listener.finished(run, result.error() == null ? null : new RunFailed(result.error()), result.seconds());
            return BoxedUnit.UNIT;
        }
    }

    /** A run that failed on an executor, as the driver's listener hears of it. */
    static final class RunFailed extends Exception {
        private static final long serialVersionUID = 1L;

        RunFailed(String message) {
            super(message);
        }
    }

}
