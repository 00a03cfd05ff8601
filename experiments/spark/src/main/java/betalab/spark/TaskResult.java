package betalab.spark;

import java.io.Serializable;

/**
 * What one task sends back to the driver: where its attempt's run directory is, whether the run
 * completed, or why the executor refused to run it.
 *
 * @param attempt  the attempt's directory (a Hadoop path), or null when refused
 * @param error    the run's error in one line, or null when it completed
 * @param seconds  the run's time on the executor
 * @param executor the executor's id and host
 * @param refusal  why the executor could not run it (a different extension set or Spark, an output it
 *                 cannot write), or null
 */
record TaskResult(String attempt, String error, double seconds, String executor, String refusal)
        implements Serializable {

    static TaskResult refused(String executor, String why) {
        return new TaskResult(null, null, 0, executor, why);
    }
}
