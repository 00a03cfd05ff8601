package betalab.api.tensor;

import betalab.api.tensor.jvm.JvmBackend;

/**
 * The JVM backend's fallback when the module jdk.incubator.vector is absent: float32 products on the
 * plain-Java blocked kernel (double panels), with the thresholds at their minimum as in
 * {@link JvmBackendFastPathsConformanceTest}, so every product takes it and the threaded split.
 */
class JvmBackendFallbackConformanceTest extends BackendConformanceTest {
    @Override
    protected TensorBackend backend() {
        return new JvmBackend(0, 0, 3, false);
    }
}
