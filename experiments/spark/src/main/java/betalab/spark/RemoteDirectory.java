package betalab.spark;

import betalab.sweep.RunAttempt;
import betalab.sweep.Sweep;
import betalab.sweep.SweepEngine;
import betalab.training.DirectoryLock;
import betalab.training.RunDirectory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sweep directory on a Hadoop file system (hdfs://, s3a://, …) and the driver's local copy of it.
 * The driver holds the directory through a lock file made only if absent, naming its owner; the copy
 * has everything but hidden files and the runs' checkpoints (a sweep reads neither; an LM run's
 * checkpoint is its weights). Runs come down one by one as the engine commits them; the sweep's own
 * files (record, log, results, plots, report) go up when asked, each written beside its target
 * and renamed into place, so a reader never sees half a file.
 */
final class RemoteDirectory implements SweepEngine.Remote {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteDirectory.class);
    private static final Pattern OWNER = Pattern.compile("pid (\\d+) on (\\S+),.*");

    private final URI uri;
    private final FileSystem fs;
    private final Path root;
    private final java.nio.file.Path local;
    private final Path lock;
    private boolean held;

    private RemoteDirectory(URI uri, FileSystem fs, java.nio.file.Path local) {
        this.uri = uri;
        this.fs = fs;
        this.root = fs.makeQualified(new Path(uri));
        this.local = local;
        this.lock = new Path(root, DirectoryLock.FILE);
    }

    /** Takes {@code uri} (made if missing) for this process and copies it into {@code local}; one line on failure. */
    static RemoteDirectory open(URI uri, java.nio.file.Path local, Configuration hadoop) {
        FileSystem fs;
        try {
            fs = RunTask.fileSystem(new Path(uri), hadoop);
        } catch (IOException | RuntimeException e) {
            boolean unknown = e instanceof UnsupportedFileSystemException || e.getCause() instanceof ClassNotFoundException;
            throw new IllegalArgumentException(uri + ": " + (unknown ? "no Hadoop file system for " + uri.getScheme()
                    + ": here (" + reason(e) + "); put its jars (for s3a: hadoop-aws and the AWS SDK bundle it names) "
                    + "on BETALAB_ENGINE_PATH, and give them to the executors (--conf spark.jars=…)" : reason(e)), e);
        }
        RemoteDirectory remote = new RemoteDirectory(uri, fs, local);
        remote.lock();
        try {
            remote.copyDown(remote.root, local);
        } catch (IOException | RuntimeException e) {
            remote.close();
            throw new IllegalArgumentException("cannot read " + uri + ": " + reason(e), e);
        }
        return remote;
    }

    @Override
    public URI uri() {
        return uri;
    }

    /** The remote directory as every machine names it (qualified: scheme and authority included). */
    Path root() {
        return root;
    }

    /** Replaces the local copy of run {@code id} with the remote directory's. */
    void pullRun(String id) throws IOException {
        java.nio.file.Path target = local.resolve(Sweep.RUNS).resolve(id);
        RunAttempt.delete(target);
        copyDown(new Path(new Path(root, Sweep.RUNS), id), target);
    }

    @Override
    public void push() {
        SparkSweepEngine.inEngineLoader(() -> {
            pushNow();
            return null;
        });
    }

    private void pushNow() {
        try {
            TreeCopy.up(fs, local, root, p -> p.getNameCount() == 1
                    && (p.toString().startsWith(".") || p.toString().equals(Sweep.RUNS)), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + uri + ": " + reason(e), e);
        }
    }

    @Override
    public void close() {
        if (!held) {
            return;
        }
        held = false;
        try {
            fs.delete(lock, false);
        } catch (IOException e) {
            LOG.warn("cannot remove the lock {}: {}", lock, e.getMessage());
        }
    }

    /**
     * Makes the lock file, or fails naming its owner. A lock left by a process of this host that is
     * gone is taken over; one of another host cannot be checked from here, so the message says how
     * to remove it.
     */
    private void lock() {
        String me = "pid " + ProcessHandle.current().pid() + " on " + RunTask.host() + ", since " + Instant.now();
        try {
            fs.mkdirs(root);
            for (int attempt = 0; ; attempt++) {
                try (FSDataOutputStream out = fs.create(lock, false)) {
                    out.write(me.getBytes(StandardCharsets.UTF_8));
                    held = true;
                    return;
                } catch (FileAlreadyExistsException e) {
                    String owner = read(lock);
                    Matcher m = OWNER.matcher(owner);
                    boolean gone = m.matches() && m.group(2).equals(RunTask.host())
                            && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty();
                    if (!gone || attempt > 0) {
                        throw new IllegalStateException(uri + " is in use by another betalab sweep (" + owner
                                + "); wait for it to finish or stop it, or delete " + lock + " if it is gone");
                    }
                    fs.delete(lock, false);
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + uri + ": " + reason(e), e);
        }
    }

    /** An error's first line, without Hadoop's pointer to its wiki. */
    private static String reason(Throwable e) {
        String line = RunTask.firstLine(e);
        int more = line.indexOf("; For more details see");
        return (more < 0 ? line : line.substring(0, more)).replace("java.lang.ClassNotFoundException: ", "");
    }

    private String read(Path file) throws IOException {
        try (InputStream in = fs.open(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }

    /** Copies a remote file or directory down, leaving out hidden files and checkpoints. */
    private void copyDown(Path from, java.nio.file.Path to) throws IOException {
        FileStatus status = fs.getFileStatus(from);
        if (status.isDirectory()) {
            Files.createDirectories(to);
            for (FileStatus child : fs.listStatus(from)) {
                String name = child.getPath().getName();
                if (!name.startsWith(".") && !name.equals(RunDirectory.CHECKPOINT)) {
                    copyDown(child.getPath(), to.resolve(name));
                }
            }
        } else {
            try (InputStream in = fs.open(from)) {
                Files.copy(in, to);
            }
        }
    }
}
