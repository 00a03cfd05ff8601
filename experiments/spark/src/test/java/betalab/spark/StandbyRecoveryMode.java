package betalab.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.deploy.master.BlackHolePersistenceEngine;
import org.apache.spark.deploy.master.LeaderElectable;
import org.apache.spark.deploy.master.LeaderElectionAgent;
import org.apache.spark.deploy.master.PersistenceEngine;
import org.apache.spark.deploy.master.StandaloneRecoveryModeFactory;
import org.apache.spark.serializer.Serializer;

/**
 * A Master's recovery mode (spark.deploy.recoveryMode=CUSTOM) under which it is never elected: it
 * stays a standby, as in a high-availability pair, answering questions but ignoring applications.
 */
public final class StandbyRecoveryMode extends StandaloneRecoveryModeFactory {
    public StandbyRecoveryMode(SparkConf conf, Serializer serializer) {
        super(conf, serializer);
    }

    @Override
    public PersistenceEngine createPersistenceEngine() {
        return new BlackHolePersistenceEngine();
    }

    @Override
    public LeaderElectionAgent createLeaderElectionAgent(LeaderElectable master) {
        return () -> master;
    }
}
