package betalab.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Copies a local directory to a Hadoop file system with its files written in parallel: HDFS waits
 * for its DataNodes before a closed file counts (hundreds of milliseconds on a small cluster) and an
 * object store pays a request or more per file, so a run's ten files one after another cost seconds.
 */
final class TreeCopy {
    private static final int THREADS = 8;

    private TreeCopy() {
    }

    /**
     * Copies what is in {@code from} (but the entries {@code skip} names, and what is in them) into
     * {@code to}, made if missing. With {@code intoPlace}, each file is written beside its target
     * under a hidden name and renamed over it, so a reader never sees half a file.
     */
    static void up(FileSystem fs, java.nio.file.Path from, Path to, Predicate<java.nio.file.Path> skip, boolean intoPlace)
            throws IOException {
        List<java.nio.file.Path> files = new ArrayList<>();
        try (Stream<java.nio.file.Path> all = Files.walk(from)) {
            for (java.nio.file.Path p : all.sorted().toList()) {
                java.nio.file.Path relative = from.relativize(p);
                if (!p.equals(from) && skipped(relative, skip)) {
                    continue;
                }
                if (Files.isDirectory(p)) {
                    fs.mkdirs(target(to, relative));
                } else {
                    files.add(relative);
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(THREADS, files.size())), r -> {
            Thread t = new Thread(r, "betalab-copy");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> writes = new ArrayList<>();
            for (java.nio.file.Path file : files) {
                writes.add(pool.submit(() -> {
                    copy(fs, from.resolve(file), target(to, file), intoPlace);
                    return null;
                }));
            }
            for (Future<?> write : writes) {
                write.get();
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while copying to " + to, e);
        } finally {
            pool.shutdownNow();
        }
    }

    private static boolean skipped(java.nio.file.Path relative, Predicate<java.nio.file.Path> skip) {
        for (java.nio.file.Path p = relative; p != null; p = p.getParent()) {
            if (skip.test(p)) {
                return true;
            }
        }
        return false;
    }

    private static Path target(Path to, java.nio.file.Path relative) {
        Path target = to;
        for (java.nio.file.Path part : relative) {
            if (!part.toString().isEmpty()) {
                target = new Path(target, part.toString());
            }
        }
        return target;
    }

    private static void copy(FileSystem fs, java.nio.file.Path from, Path to, boolean intoPlace) throws IOException {
        Path written = intoPlace ? new Path(to.getParent(), "." + to.getName() + "." + UUID.randomUUID() + ".partial") : to;
        try (OutputStream out = fs.create(written, !intoPlace)) {
            Files.copy(from, out);
        }
        if (intoPlace) {
            fs.delete(to, false);
            if (!fs.rename(written, to)) {
                fs.delete(written, false);
                throw new IOException("rename to " + to + " failed");
            }
        }
    }
}
