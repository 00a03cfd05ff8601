package betalab.api.tensor;

import betalab.api.tensor.jvm.JvmBackend;

/**
 * The JVM backend against the conformance suite with its matmul thresholds at their minimum: every
 * product, however small, goes through the cache-blocked kernel and the threaded split, which the
 * suite's small shapes would otherwise never reach at the default settings.
 */
class JvmBackendFastPathsConformanceTest extends BackendConformanceTest {
    /** More parts than this machine may have cores, so a split has a middle part and parts of unequal width. */
    private static final int THREADS = 3;

    @Override
    protected TensorBackend backend() {
        return new JvmBackend(0, 0, THREADS);
    }
}
