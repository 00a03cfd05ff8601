package betalab.tensor.nd4j;

import static org.assertj.core.api.Assertions.assertThat;

import betalab.api.tensor.Backends;
import betalab.api.tensor.TensorBackend;
import betalab.api.tensor.jvm.JvmBackend;
import org.junit.jupiter.api.Test;

/** The backend is found through ServiceLoader (META-INF/services), and never wins by default over the JVM one. */
class Nd4jBackendDiscoveryTest {

    @Test
    void foundByName() {
        TensorBackend backend = Backends.named("nd4j");
        assertThat(backend).isInstanceOf(Nd4jBackend.class);
        assertThat(backend.name()).isEqualTo("nd4j");
    }

    @Test
    void ranksBelowTheJvmBackend() {
        assertThat(new Nd4jBackend().priority()).isLessThan(new JvmBackend().priority());
    }
}
