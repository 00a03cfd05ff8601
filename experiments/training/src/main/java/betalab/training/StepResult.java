package betalab.training;

import betalab.api.tensor.Tensor;
import java.util.Map;

/**
 * One training step's forward pass.
 *
 * @param loss    the scalar the step minimises
 * @param watched quantities the non-finite check looks at before the loss, by name ("beta")
 * @param metrics what the step measured, for the metrics log
 */
public record StepResult(Tensor loss, Map<String, Tensor> watched, StepMetrics metrics) {
}
