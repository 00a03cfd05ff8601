package betalab.tensor.nd4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import betalab.api.tensor.Backends;
import betalab.api.tensor.TensorBackend;
import betalab.api.tensor.jvm.JvmBackend;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The backend is found through ServiceLoader (this module's META-INF/services), beside the JVM one
 * registered by betalab-api, and never wins by default over it: these fail if the registration is
 * lost or the priorities are inverted.
 */
class Nd4jBackendDiscoveryTest {

    @Test
    void serviceLoaderFindsBothBackendsWithTheJvmOneFirst() {
        List<TensorBackend> found = Backends.available();
        assertThat(found).extracting(TensorBackend::name).containsOnlyOnce("nd4j", "jvm");
        assertThat(found).filteredOn(b -> b.name().equals("nd4j")).singleElement().isInstanceOf(Nd4jBackend.class);
        // available() is ordered by priority, and with no backend asked for the first one is the default.
        assertThat(found.get(0)).isInstanceOf(JvmBackend.class);
    }

    @Test
    void theDefaultBackendIsTheJvmOneWhenNoneIsAskedFor() {
        assumeThat(System.getProperty(Backends.PROPERTY)).as("no backend asked for with -D" + Backends.PROPERTY)
                .isNull();
        // Backends.current() chooses once per JVM from the discovered backends (the conformance suite
        // swaps the current backend for each test and puts the default back afterwards).
        assertThat(Backends.current()).isInstanceOf(JvmBackend.class);
    }

    @Test
    void foundByName() {
        TensorBackend backend = Backends.named("nd4j");
        assertThat(backend).isInstanceOf(Nd4jBackend.class);
        assertThat(backend.name()).isEqualTo("nd4j");
    }
}
