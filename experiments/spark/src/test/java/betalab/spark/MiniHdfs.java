package betalab.spark;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.PrivilegedExceptionAction;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.security.UserGroupInformation;

/**
 * HDFS in this JVM: a NameNode and a DataNode (Hadoop's MiniDFSCluster), started as the user
 * {@value #OWNER}, so that this process's user is an ordinary one there (even when it is root here)
 * and HDFS's permissions hold for it. {@value #WRITABLE} is open to everyone; the rest is the owner's.
 */
final class MiniHdfs implements AutoCloseable {
    static final String OWNER = "hdfs";
    static final String WRITABLE = "/shared";

    private final MiniDFSCluster cluster;

    MiniHdfs(Path dir) throws Exception {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.toAbsolutePath().toString());
        conf.setBoolean("dfs.permissions.enabled", true);
        UserGroupInformation owner = UserGroupInformation.createRemoteUser(OWNER);
        cluster = owner.doAs((PrivilegedExceptionAction<MiniDFSCluster>) () -> {
            MiniDFSCluster started = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
            started.waitActive();
            FileSystem fs = started.getFileSystem();
            fs.mkdirs(new org.apache.hadoop.fs.Path(WRITABLE));
            fs.setPermission(new org.apache.hadoop.fs.Path(WRITABLE), new FsPermission((short) 0777));
            return started;
        });
    }

    /** {@code path} on this HDFS, as a user names it: hdfs://localhost:port/path. */
    URI uri(String path) {
        return URI.create(cluster.getURI() + path);
    }

    /** This process's user's view of the HDFS. */
    FileSystem fs() throws IOException {
        return FileSystem.get(cluster.getURI(), new Configuration());
    }

    /** Copies {@code path} of the HDFS to {@code local}, everything in it. */
    void copyDown(String path, Path local) throws IOException {
        fs().copyToLocalFile(false, new org.apache.hadoop.fs.Path(uri(path)),
                new org.apache.hadoop.fs.Path(local.toAbsolutePath().toUri()), true);
    }

    @Override
    public void close() {
        cluster.shutdown();
    }
}
