package betalab.training;

import betalab.api.tensor.Tensor;

/**
 * Measures the global gradient norm of every step (logged as grad_norm) and, with a positive
 * maximum, scales the gradients down to it as {@code torch.nn.utils.clip_grad_norm_} does:
 * g ← g · max / (norm + 1e-6) when the norm exceeds max.
 */
public final class GradientClipping implements TrainingListener {
    private final double maxNorm;

    /** {@code maxNorm} 0 measures without clipping. */
    public GradientClipping(double maxNorm) {
        if (!(maxNorm >= 0) || Double.isInfinite(maxNorm)) {
            throw new IllegalArgumentException("the largest gradient norm must be ≥ 0 and finite, got " + maxNorm);
        }
        this.maxNorm = maxNorm;
    }

    @Override
    public void afterBackward(Progress progress) {
        double squares = 0;
        for (Tensor p : progress.parameters().values()) {
            if (p.grad() != null) {
                for (double g : p.grad().toDoubleArray()) {
                    squares += g * g;
                }
            }
        }
        double norm = Math.sqrt(squares);
        progress.gradNorm(norm);
        if (maxNorm > 0 && norm > maxNorm) {
            double scale = maxNorm / (norm + 1e-6);
            for (Tensor p : progress.parameters().values()) {
                if (p.grad() != null) {
                    p.grad().scaleInPlace(scale);
                }
            }
        }
    }
}
