package betalab.training;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * An exclusive lock on a run or sweep directory for as long as a process works in it, so that a
 * second process (a second resume, a second sweep on the same folder) fails at once, naming the
 * owner, instead of interleaving its writes. The operating system releases the lock when the
 * owner dies, so a killed run never leaves its directory locked.
 */
public final class DirectoryLock implements AutoCloseable {
    /** The lock file in the directory; it holds the owner's pid and start time. */
    public static final String FILE = ".lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Locks {@code dir} (made if missing), or fails with one line naming the process that holds it. */
    public static DirectoryLock acquire(Path dir) {
        Path file = dir.resolve(FILE);
        FileChannel channel = null;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // this process already holds it
            }
            if (lock == null) {
                String owner = Files.readString(file, StandardCharsets.UTF_8).strip();
                channel.close();
                throw new IllegalStateException(dir + " is in use by another betalab process"
                        + (owner.isEmpty() ? "" : " (" + owner + ")") + "; wait for it to finish or stop it");
            }
            String me = "pid " + ProcessHandle.current().pid() + ", since " + Instant.now();
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(me.getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(false);
            return new DirectoryLock(channel, lock);
        } catch (IOException e) {
            try {
                if (channel != null) {
                    channel.close();
                }
            } catch (IOException ignored) {
                // the first failure is the one to report
            }
            throw new UncheckedIOException("cannot lock " + dir + ": " + RunFiles.reason(e), e);
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unlock " + channel + ": " + RunFiles.reason(e), e);
        }
    }
}
