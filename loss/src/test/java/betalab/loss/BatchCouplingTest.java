package betalab.loss;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Only the losses that sort across the batch, and combinations holding one, say they are coupled. */
class BatchCouplingTest {
    @ParameterizedTest
    @CsvSource({"aot,,true", "aot_unpaired,,true", "sigmoid,,false", "ipo,,false", "simpo,,false",
            "weighted,'sigmoid,ipo',false", "weighted,'sigmoid,aot',true"})
    void couplingIsDeclared(String name, String terms, boolean coupled) {
        Map<String, Object> knobs = terms == null ? Map.of() : Map.of("terms", terms);
        assertThat(Formulas.loss(name, knobs).batchCoupled()).isEqualTo(coupled);
    }
}
