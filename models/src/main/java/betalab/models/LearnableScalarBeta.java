package betalab.models;

import betalab.api.nn.Module;
import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;

/**
 * One trainable β shared by every pair, β = softplus(w) or β = exp(w), w trained with the policy
 * (the catalogue's "learnable scalar" row). Nothing bounds it, so it shows the collapse the
 * catalogue derives from ∂/∂β [−log σ(βh)] = −h·σ(−βh); the registry's beta_penalty counters it.
 *
 * <p>β is computed as init · g(w) / g(w₀), with w₀ = g⁻¹(init) the starting w: equal to g(w) in exact
 * arithmetic (and to rounding, so gradients are g's), but the first β is init to the last bit,
 * which g(g⁻¹(init)) in floating point does not promise.
 */
public final class LearnableScalarBeta extends Module implements BetaEstimator {
    static final Knob<String> PARAMETRIZATION = Knob.text("parametrization", "softplus",
            "β = softplus(w) or β = exp(w)", "softplus", "exp");
    static final Knob<Double> INIT = Knob.real("init", 0.1, "β₀, the β before training").positive();
    static final List<Knob<?>> KNOBS = List.of(PARAMETRIZATION, INIT);

    /** The map g from w to β, with its inverse to place the starting w. */
    public enum Parametrization {
        // softplus⁻¹(b) = log(eᵇ − 1), written to stay accurate for small and large b
        SOFTPLUS(Tensor::softplus, b -> b + Math.log(-Math.expm1(-b))),
        EXP(Tensor::exp, Math::log);

        private final UnaryOperator<Tensor> forward;
        private final DoubleUnaryOperator inverse;

        Parametrization(UnaryOperator<Tensor> forward, DoubleUnaryOperator inverse) {
            this.forward = forward;
            this.inverse = inverse;
        }

        /** The parametrization a knob value names: "softplus" or "exp". */
        public static Parametrization named(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    private final Parametrization g;
    private final double init;
    private final Tensor w;
    private final Tensor gAtStart;

    public LearnableScalarBeta(Parametrization g, double init, DType dtype) {
        if (!(init > 0) || Double.isInfinite(init)) {
            throw new IllegalArgumentException("init must be a positive finite β, got " + init);
        }
        this.g = g;
        this.init = init;
        this.w = parameter("w", Tensor.of(dtype, new double[] {g.inverse.applyAsDouble(init)}, 1));
        // g of the stored w (rounded to dtype), by the same operation beta() uses, so their ratio is 1 at the start.
        this.gAtStart = g.forward.apply(w.detach());
    }

    static LearnableScalarBeta fromSettings(Settings settings, Context context) {
        return new LearnableScalarBeta(Parametrization.named(settings.get(PARAMETRIZATION)), settings.get(INIT),
                context.dtype());
    }

    @Override
    public Tensor beta(PreferenceBatch batch) {
        Tensor beta = g.forward.apply(w).div(gAtStart).mul(init);
        return batch.policyChosen().detach().zerosLike().add(beta);
    }

    @Override
    public double baseBeta() {
        return init;
    }

    /** The trainable w (β = g(w)). */
    public Tensor w() {
        return w;
    }
}
