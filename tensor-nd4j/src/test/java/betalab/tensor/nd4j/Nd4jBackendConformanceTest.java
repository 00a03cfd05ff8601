package betalab.tensor.nd4j;

import betalab.api.tensor.BackendConformanceTest;
import betalab.api.tensor.TensorBackend;

/** The ND4J backend against the same conformance suite as the JVM backend. */
class Nd4jBackendConformanceTest extends BackendConformanceTest {
    @Override
    protected TensorBackend backend() {
        return new Nd4jBackend();
    }
}
