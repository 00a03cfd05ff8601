package betalab.spark;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on this machine: a Master and Workers, each a JVM of its own started
 * from the Maven jars, in a Spark home laid out in a temporary directory (jars/ linking those jars),
 * from which the Workers start their executors' JVMs.
 */
final class StandaloneCluster implements AutoCloseable {
    private final Path home;
    private final List<Process> daemons = new ArrayList<>();
    private final int port;
    private final int webUi;

    /** Starts the Master and {@code workers} Workers of {@code cores} cores each; returns once all registered. */
    StandaloneCluster(Path dir, int workers, int cores, String workerMemory) throws IOException, InterruptedException {
        this(dir, workers, cores, workerMemory, null);
    }

    /**
     * As {@link #StandaloneCluster(Path, int, int, String)}, with {@code masterFirst} (a directory, or
     * null) ahead of the Master's class path and {@code masterOptions} among its JVM's: a Master that
     * says it is another Spark, or stays a standby.
     */
    StandaloneCluster(Path dir, int workers, int cores, String workerMemory, Path masterFirst, String... masterOptions)
            throws IOException, InterruptedException {
        home = Files.createDirectories(dir.resolve("spark-home"));
        Path jars = Files.createDirectories(home.resolve("jars"));
        // A Spark home is a distribution's layout: the launcher takes jars/ when a RELEASE file is there.
        Files.writeString(home.resolve("RELEASE"), "Spark " + org.apache.spark.SparkBuildInfo.spark_version() + "\n");
        Files.createDirectories(home.resolve("conf"));
        for (String jar : sparkJars()) {
            Path source = Path.of(jar);
            Path link = jars.resolve(source.getFileName());
            if (!Files.exists(link)) {
                Files.createSymbolicLink(link, source);
            }
        }
        port = freePort();
        webUi = freePort();
        start("master", masterFirst, List.of(masterOptions), "org.apache.spark.deploy.master.Master", "--host",
                "127.0.0.1", "--port", Integer.toString(port), "--webui-port", Integer.toString(webUi));
        for (int i = 0; i < workers; i++) {
            Path work = Files.createDirectories(dir.resolve("worker-" + i));
            start("worker-" + i, null, List.of(), "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores",
                    Integer.toString(cores), "--memory", workerMemory, "--work-dir", work.toString(),
                    "--webui-port", Integer.toString(freePort()), master());
        }
        awaitWorkers(workers);
    }

    /** The Spark home's jars/ directory. */
    Path jars() {
        return home.resolve("jars");
    }

    Path home() {
        return home;
    }

    String master() {
        return "spark://127.0.0.1:" + port;
    }

    /** The executors' JVMs running now: the Workers' children. */
    List<ProcessHandle> executors() {
        return daemons.stream().flatMap(Process::descendants)
                .filter(p -> p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend")).toList();
    }

    /** The Workers' and the Master's logs, for a failure's message. */
    String logs() {
        StringBuilder b = new StringBuilder();
        try (Stream<Path> files = Files.walk(home.getParent())) {
            for (Path f : files.filter(p -> p.toString().endsWith(".log") || p.getFileName().toString().equals("stderr"))
                    .toList()) {
                List<String> lines = Files.readAllLines(f);
                b.append("== ").append(f).append('\n')
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())))
                        .append('\n');
            }
        } catch (IOException | RuntimeException e) {
            b.append("(logs unreadable: ").append(e.getMessage()).append(")");
        }
        return b.toString();
    }

    private void start(String name, Path first, List<String> options, String main, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", (first == null ? "" : first + java.io.File.pathSeparator) + home.resolve("jars") + "/*"));
        command.addAll(List.of(System.getProperty("betalab.spark.jvmOptions", "").split(" +")));
        command.addAll(options);
        command.removeIf(String::isBlank);
        command.add(main);
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(home.getParent().resolve(name + ".log").toFile());
        Map<String, String> env = builder.environment();
        env.put("SPARK_HOME", home.toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        daemons.add(builder.start());
    }

    private void awaitWorkers(int workers) throws InterruptedException, IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                last = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webUi + "/json/")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                if (last.contains("\"aliveworkers\" : " + workers) || last.contains("\"aliveworkers\":" + workers)) {
                    return;
                }
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(500);
        }
        close();
        throw new IllegalStateException("the cluster did not start: " + last + "\n" + logs());
    }

    private List<String> sparkJars() throws IOException {
        String list = System.getProperty("betalab.spark.jars");
        if (list == null) {
            throw new IllegalStateException("betalab.spark.jars is not set: run through Maven (mvn verify)");
        }
        return List.of(Files.readString(Path.of(list)).strip().split(java.io.File.pathSeparator));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        for (Process p : daemons) {
            List<ProcessHandle> children = p.descendants().toList();
            p.destroy();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            children.forEach(ProcessHandle::destroyForcibly);
        }
    }

    static String read(InputStream in) throws IOException {
        return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
}
