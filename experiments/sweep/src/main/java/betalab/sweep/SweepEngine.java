package betalab.sweep;

import betalab.api.registry.Registry;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Where a sweep's runs execute. The default, {@value #POOL}, is a thread pool in this process; other
 * engines (Spark's, in the betalab-spark module) are found by name through {@link Provider} only when
 * asked for, so the default path never loads their classes.
 */
public interface SweepEngine extends AutoCloseable {
    /** The in-process engine's name. */
    String POOL = "pool";

    /**
     * System property naming the jars of engines that are not on betalab's own path (jars or
     * directories of jars, separated by {@link File#pathSeparator}); read only when an engine other
     * than {@value #POOL} is asked for.
     */
    String PATH_PROPERTY = "betalab.engine.path";

    /** One run to execute: the run, and its resolved config as the JSON text of {@code Config.toMap()}. */
    record Job(SweepRun run, String config) {
    }

    /**
     * What an engine is asked to execute.
     *
     * @param name     the sweep's name
     * @param kind     the kind of run
     * @param registry the driver's registry (its extension set is what every run must be made with)
     * @param dir      the sweep's directory; run {@code id} goes to {@code dir/runs/id}
     * @param jobs     the runs not completed yet, in sweep order
     */
    record Plan(String name, Kind kind, Registry registry, Path dir, List<Job> jobs) {
    }

    /**
     * Executes every job of the plan, each into its run directory exactly as {@link RunAttempt#run}
     * does, telling {@code listener}; returns how many runs failed. A run that fails is recorded in its
     * directory and the others go on; a failure of the engine itself throws, leaving the runs it
     * completed in place and no others. When the plan's directory is the local copy of a {@link Remote}
     * this engine opened, each run goes to the remote directory and is copied into the local one
     * before the listener hears that it finished.
     */
    int execute(Plan plan, Sweep.Listener listener);

    /**
     * Opens the sweep directory {@code out}, named by a URI of a file system that is not this
     * machine's ({@code hdfs://…}, {@code s3a://…}), for a sweep run in {@code local}, a directory of
     * the caller's: takes the remote directory for this process (a second sweep there fails at once,
     * naming the first) and copies into {@code local} what it holds, but hidden files and the runs'
     * checkpoints; a sweep then runs in {@code local} as in any directory. An engine that writes local
     * directories only refuses in one line.
     */
    default Remote remote(URI out, Path local) {
        throw new IllegalArgumentException(out + ": this sweep engine writes local directories only; a directory "
                + "on a cluster's file system (hdfs://, s3a://, …) needs --engine spark");
    }

    /** A sweep directory on a shared file system, held by this process until closed. */
    interface Remote extends AutoCloseable {
        /** The remote directory. */
        URI uri();

        /** Copies the sweep's own files (all of the local copy but runs/ and hidden files) to the remote directory. */
        void push();

        /** Releases the remote directory. */
        @Override
        void close();
    }

    /** How many runs go at a time, as far as the engine knows before it starts. */
    int slots();

    @Override
    default void close() {
    }

    /** Makes an engine of one name; registered for {@link ServiceLoader}. */
    interface Provider {
        String name();

        /** An engine set by {@code options} (engine-specific; an unknown one fails naming it). */
        SweepEngine open(Map<String, String> options);
    }

    /** The in-process engine: {@code workers} runs at a time on threads of this JVM. */
    static SweepEngine pool(int workers) {
        return new PoolEngine(workers);
    }

    /**
     * The engine {@code name} with these options: the {@value #POOL} engine takes none; any other is
     * looked up among the providers on betalab's own path and in {@value #PATH_PROPERTY}'s jars.
     */
    static SweepEngine open(String name, Map<String, String> options) {
        if (name.equals(POOL)) {
            throw new IllegalArgumentException("the " + POOL + " engine is made with pool(workers)");
        }
        ClassLoader loader = SweepEngine.class.getClassLoader();
        String path = System.getProperty(PATH_PROPERTY, "");
        if (!path.isBlank()) {
            loader = new EngineLoader(urls(path), loader);
        }
        Map<String, Provider> found = new TreeMap<>();
        ServiceLoader.load(Provider.class, loader).forEach(p -> found.putIfAbsent(p.name(), p));
        Provider provider = found.get(name);
        if (provider == null) {
            List<String> known = new ArrayList<>(List.of(POOL));
            known.addAll(found.keySet());
            throw new IllegalArgumentException("no sweep engine '" + name + "' (known: " + String.join(", ", known)
                    + ")" + (name.equals("spark") ? "; the Spark engine is the betalab-spark module: build it "
                    + "(mvn package) or put its jars on " + PATH_PROPERTY : ""));
        }
        return provider.open(options);
    }

    private static URL[] urls(String path) {
        List<URL> urls = new ArrayList<>();
        for (String entry : path.split(File.pathSeparator)) {
            if (entry.isBlank()) {
                continue;
            }
            Path p = Path.of(entry);
            try {
                if (Files.isDirectory(p)) {
                    try (Stream<Path> jars = Files.list(p)) {
                        for (Path jar : jars.filter(j -> j.toString().endsWith(".jar")).sorted().toList()) {
                            urls.add(jar.toUri().toURL());
                        }
                    }
                } else if (Files.isRegularFile(p)) {
                    urls.add(p.toUri().toURL());
                } else {
                    throw new IllegalArgumentException(PATH_PROPERTY + ": " + p + ": no such file or directory");
                }
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException(PATH_PROPERTY + ": " + p + ": " + e.getMessage(), e);
            } catch (IOException e) {
                throw new UncheckedIOException(PATH_PROPERTY + ": cannot list " + p + ": " + e.getMessage(), e);
            }
        }
        return urls.toArray(URL[]::new);
    }
}
