package betalab.api.tensor;

import betalab.api.tensor.jvm.JvmBackend;

/** The pure-JVM reference backend against the conformance suite. */
class JvmBackendConformanceTest extends BackendConformanceTest {
    @Override
    protected TensorBackend backend() {
        return new JvmBackend();
    }
}
