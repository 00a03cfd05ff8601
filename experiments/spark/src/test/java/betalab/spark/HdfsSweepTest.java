package betalab.spark;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.app.Main;
import betalab.sweep.Report;
import betalab.sweep.Sweep;
import betalab.sweep.SweepConfig;
import betalab.training.DirectoryLock;
import betalab.training.RunDirectory;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code betalab sweep --engine spark --out hdfs://…} on a real HDFS in this JVM, with Spark's
 * local[2]: the driver works in a local copy, the runs are written to HDFS, and the sweep's record,
 * log, results and report end there, equal to the in-process pool's on a local directory.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HdfsSweepTest {
    private Path dir;
    private MiniHdfs hdfs;
    private Path config;
    private Path pool;

    @BeforeAll
    void startHdfsAndRunInProcess(@TempDir Path dir) throws Exception {
        this.dir = dir;
        hdfs = new MiniHdfs(dir.resolve("hdfs"));
        config = Files.writeString(dir.resolve("tiny.yaml"), LocalSparkSweepTest.SWEEP);
        pool = dir.resolve("pool");
        new Sweep(LocalSparkSweepTest.REGISTRY, SweepConfig.read(config), pool).run(2, Sweeps.SILENT);
        Report.write(SweepConfig.read(config), pool);
    }

    @AfterAll
    void stopHdfs() {
        if (hdfs != null) {
            hdfs.close();
        }
    }

    /** The command line's output and exit code. */
    private record Ran(int code, String out, String err) {
    }

    private Ran sweep(String... options) {
        List<String> args = new ArrayList<>(List.of("sweep", "--engine", "spark", "--config", config.toString()));
        args.addAll(List.of(options));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
        return new Ran(code, out.toString(), err.toString());
    }

    @Test
    void aSweepOnHdfsWritesWhatThePoolWritesAndResumes() throws IOException {
        String out = MiniHdfs.WRITABLE + "/tiny";
        Ran ran = sweep("--master", "local[2]", "--out", hdfs.uri(out).toString());
        assertThat(ran.code()).as(ran.err()).isZero();
        assertThat(ran.out()).contains("8 runs: 8 completed now, 0 already done, 0 failed")
                .contains("report: " + hdfs.uri(out) + "/report.html");
        assertThat(ran.err()).contains(", copied to " + hdfs.uri(out) + "/sweep.log at the end)");

        Path copy = dir.resolve("copy");
        hdfs.copyDown(out, copy);
        SweepConfig sweep = SweepConfig.read(config);
        Sweeps.assertSameRuns(sweep.runs(), pool, copy);
        Sweeps.assertNothingElse(sweep.runs(), copy);
        assertThat(copy.resolve("report.html")).isRegularFile();
        assertThat(copy.resolve(Sweep.RECORD)).hasSameTextualContentAs(pool.resolve(Sweep.RECORD));
        assertThat(Files.readString(copy.resolve("sweep.log"))).contains("sweep ended: 8 run, 0 failed");
        // Checkpoints stay on HDFS: the driver's copy never needed them.
        assertThat(Sweep.runDirectory(copy, sweep.runs().get(0)).resolve(RunDirectory.CHECKPOINT)).isRegularFile();
        assertThat(hidden(out)).as("locks, attempts and partial files left on HDFS").isEmpty();

        // Resumed from HDFS alone: a run without its summary, and a deleted one, run again.
        FileSystem fs = hdfs.fs();
        String runs = out + "/" + Sweep.RUNS + "/";
        fs.delete(new org.apache.hadoop.fs.Path(hdfs.uri(runs + sweep.runs().get(3).id() + "/summary.json")), false);
        fs.delete(new org.apache.hadoop.fs.Path(hdfs.uri(runs + sweep.runs().get(5).id())), true);
        ran = sweep("--master", "local[2]", "--out", hdfs.uri(out).toString());
        assertThat(ran.code()).as(ran.err()).isZero();
        assertThat(ran.out()).contains("8 runs: 2 completed now, 6 already done, 0 failed");
        Path again = dir.resolve("again");
        hdfs.copyDown(out, again);
        Sweeps.assertSameRuns(sweep.runs(), pool, again);
        Sweeps.assertNothingElse(sweep.runs(), again);
        assertThat(hidden(out)).isEmpty();
    }

    @Test
    void aDirectoryInUseByAnotherSweepIsRefusedInOneLine() throws IOException {
        String out = MiniHdfs.WRITABLE + "/busy";
        org.apache.hadoop.fs.Path lock = new org.apache.hadoop.fs.Path(hdfs.uri(out + "/" + DirectoryLock.FILE));
        try (FSDataOutputStream owner = hdfs.fs().create(lock, false)) {
            owner.write("pid 1 on another-host, since 2026-12-02T00:00:00Z".getBytes(StandardCharsets.UTF_8));
        }
        Ran ran = sweep("--master", "local[2]", "--out", hdfs.uri(out).toString());
        assertThat(ran.code()).isNotZero();
        assertThat(ran.err().strip()).isEqualTo("betalab sweep: error: " + hdfs.uri(out) + " is in use by another betalab "
                + "sweep (pid 1 on another-host, since 2026-12-02T00:00:00Z); wait for it to finish or stop it, or "
                + "delete " + lock + " if it is gone");
        assertThat(hdfs.fs().listStatus(new org.apache.hadoop.fs.Path(hdfs.uri(out)))).hasSize(1);
    }

    @Test
    void theLockOfAProcessOfThisHostThatIsGoneIsTakenOver() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        String out = MiniHdfs.WRITABLE + "/taken-over";
        org.apache.hadoop.fs.Path lock = new org.apache.hadoop.fs.Path(hdfs.uri(out + "/" + DirectoryLock.FILE));
        try (FSDataOutputStream owner = hdfs.fs().create(lock, false)) {
            owner.write(("pid " + gone.pid() + " on " + RunTask.host() + ", since 2026-12-02T00:00:00Z")
                    .getBytes(StandardCharsets.UTF_8));
        }
        Ran ran = sweep("--master", "local[2]", "--out", hdfs.uri(out).toString());
        assertThat(ran.code()).as(ran.err()).isZero();
        assertThat(ran.out()).contains("8 runs: 8 completed now");
        assertThat(hdfs.fs().exists(lock)).as("released at the end").isFalse();
    }

    @Test
    void aDirectoryThisUserCannotWriteIsRefusedInOneLine() throws IOException {
        // The HDFS root belongs to its owner, not to this process's user.
        String out = "/private/tiny";
        Ran ran = sweep("--master", "local[2]", "--out", hdfs.uri(out).toString());
        assertThat(ran.code()).isNotZero();
        assertThat(ran.err().strip()).startsWith("betalab sweep: --out cannot write " + hdfs.uri(out) + ": Permission denied")
                .doesNotContain("\n");
        assertThat(hdfs.fs().exists(new org.apache.hadoop.fs.Path(hdfs.uri("/private")))).isFalse();
    }

    @Test
    void theInProcessPoolRefusesAClusterDirectory() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "sweep", "--config",
                config.toString(), "--out", hdfs.uri("/shared/pool").toString());
        assertThat(code).isNotZero();
        assertThat(err.toString().strip()).isEqualTo("betalab sweep: --out " + hdfs.uri("/shared/pool") + ": this sweep "
                + "engine writes local directories only; a directory on a cluster's file system (hdfs://, s3a://, …) "
                + "needs --engine spark");
    }

    /** Hidden files anywhere under {@code path} on the HDFS but the runs' own locks (a run directory has one). */
    private List<String> hidden(String path) throws IOException {
        List<String> found = new ArrayList<>();
        RemoteIterator<LocatedFileStatus> files = hdfs.fs().listFiles(new org.apache.hadoop.fs.Path(hdfs.uri(path)), true);
        while (files.hasNext()) {
            String p = files.next().getPath().toString();
            if (p.contains("/.") && !p.matches(".*/" + Sweep.RUNS + "/[^/]+/" + java.util.regex.Pattern.quote(DirectoryLock.FILE))) {
                found.add(p);
            }
        }
        return found;
    }
}
