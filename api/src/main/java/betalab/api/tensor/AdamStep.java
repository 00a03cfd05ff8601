package betalab.api.tensor;

/**
 * The coefficients of one Adam or AdamW update ({@link TensorBackend#adamStepInPlace}), applied in
 * this order: p ← shrink·p (AdamW's decoupled decay; 1 for none); g' = g + l2·p (Adam's coupled
 * decay; 0 for none); m ← β1·m + (1 − β1)·g'; v ← β2·v + (1 − β2)·g'²;
 * p ← p + stepSize · m / (sqrt(v)·denominatorScale + eps). With bias correction at step t,
 * stepSize = −lr/(1 − β1ᵗ) and denominatorScale = 1/sqrt(1 − β2ᵗ).
 */
public record AdamStep(double beta1, double beta2, double eps, double l2, double shrink, double stepSize,
                       double denominatorScale) {
}
