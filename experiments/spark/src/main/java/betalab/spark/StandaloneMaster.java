package betalab.spark;

import java.io.IOException;
import java.io.InvalidClassException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SecurityManager;
import org.apache.spark.SparkBuildInfo;
import org.apache.spark.SparkConf;
import org.apache.spark.deploy.master.MasterMessages;
import org.apache.spark.rpc.RpcAddress;
import org.apache.spark.rpc.RpcEndpointRef;
import org.apache.spark.rpc.RpcEnv;
import org.apache.spark.rpc.RpcEnv$;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;
import scala.reflect.ClassTag$;

/**
 * Asks a standalone master (spark://host:port) which Spark it runs, before the sweep's application
 * registers with it. A master of another version takes the driver's connection and then drops its
 * registration (Spark's messages are Java-serialised classes that differ between versions); Spark
 * says so only in the master's log and, after a minute of retries, with "All masters are
 * unresponsive". So the driver asks the master for its ports (a message every Spark since 2.x
 * understands) and reads the version its web UI shows.
 */
final class StandaloneMaster {
    private static final Logger LOG = LoggerFactory.getLogger(StandaloneMaster.class);
    private static final Pattern VERSION = Pattern.compile("<span class=\"version\"[^>]*>\\s*([^<\\s]+)\\s*</span>");
    private static final String TIMEOUT = "10s";

    private StandaloneMaster() {
    }

    /**
     * Fails in one line when the master at host:port rejects this driver's messages or runs another
     * Spark; passes when it runs this one, or when its version cannot be read (a web UI that is off
     * or out of reach: the registration then tells, see {@link SparkSweepEngine}).
     */
    static void requireSameSpark(String master, String host, int port) {
        String driver = SparkBuildInfo.spark_version();
        String version;
        try {
            version = version(host, port);
        } catch (Exception e) { // Scala's SparkException, which Java counts as checked, among others
            // The master's failure comes back as text: a class of this Spark it cannot read.
            Throwable cause = SparkSweepEngine.cause(e, StandaloneMaster::mentionsClassMismatch);
            if (mentionsClassMismatch(cause)) {
                throw new IllegalArgumentException("the Spark master " + master + " rejects this driver's messages ("
                        + RunTask.firstLine(cause).replace("java.io.", "") + "): it runs another Spark than this "
                        + "driver's " + driver + " (Scala 2.13)", e);
            }
            throw new IllegalArgumentException("the Spark master " + master + " does not answer as a Spark master: "
                    + RunTask.firstLine(cause), e);
        }
        if (version != null && !version.equals(driver)) {
            throw new IllegalArgumentException("the Spark master " + master + " runs Spark " + version + " where this "
                    + "driver runs Spark " + driver + " (Scala 2.13): run the sweep on a cluster of the driver's Spark");
        }
    }

    private static boolean mentionsClassMismatch(Throwable e) {
        return e instanceof InvalidClassException || String.valueOf(e.getMessage()).contains("InvalidClassException");
    }

    /** The master's Spark as its web UI shows it, or null when that cannot be read; throws when its RPC fails. */
    private static String version(String host, int port) {
        SparkConf conf = new SparkConf(false).set("spark.rpc.askTimeout", TIMEOUT).set("spark.rpc.lookupTimeout", TIMEOUT);
        RpcEnv rpc = RpcEnv$.MODULE$.create("betalab-master-check", host, 0, conf,
                new SecurityManager(conf, Option.empty(), org.apache.spark.internal.config.package$.MODULE$.AUTH_SECRET_FILE()),
                true);
        int webUi;
        try {
            RpcEndpointRef ref = rpc.setupEndpointRef(new RpcAddress(host, port), "Master");
            MasterMessages.BoundPortsResponse ports = (MasterMessages.BoundPortsResponse) ref.askSync(
                    MasterMessages.BoundPortsRequest$.MODULE$, ClassTag$.MODULE$.apply(Object.class));
            webUi = ports.webUIPort();
        } finally {
            rpc.shutdown();
        }
        if (webUi <= 0) {
            return null;
        }
        try {
            // HttpURLConnection: java.net.http is not in the launcher's module graph.
            HttpURLConnection page = (HttpURLConnection) new URL("http://" + host + ":" + webUi + "/").openConnection();
            page.setConnectTimeout(5000);
            page.setReadTimeout(10000);
            try (InputStream in = page.getInputStream()) {
                Matcher m = VERSION.matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                return m.find() ? m.group(1) : null;
            } finally {
                page.disconnect();
            }
        } catch (IOException | RuntimeException e) {
            LOG.info("cannot read the Spark master's version from its web UI on port {}: {}", webUi, e.toString());
            return null;
        }
    }
}
