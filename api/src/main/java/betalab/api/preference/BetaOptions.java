package betalab.api.preference;

import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Switches every β scheme has, whatever its own knobs: {@code detach} uses β in the loss without
 * training anything through it, and {@code beta_penalty} adds λ·mean((log β − log β_target)²) to the
 * training loss, pulling β toward β_target so the collapse of a learned β can be studied and
 * prevented.
 */
public final class BetaOptions {
    public static final Knob<Boolean> DETACH = Knob.flag("detach", false,
            "use β in the loss but send no gradient through it");
    public static final Knob<Double> PENALTY = Knob.real("beta_penalty", 0.0,
            "λ of the penalty λ·mean((log β − log β_target)²)").atLeast(0);
    public static final Knob<Double> TARGET = Knob.real("beta_target", 0.1, "β_target of that penalty").positive();
    public static final List<Knob<?>> KNOBS = List.of(DETACH, PENALTY, TARGET);

    private BetaOptions() {
    }

    /** The estimator with the switches in {@code settings} applied; itself when all are off. */
    public static BetaEstimator apply(BetaEstimator estimator, Settings settings) {
        boolean detach = settings.get(DETACH);
        double penalty = settings.get(PENALTY);
        if (!detach && penalty == 0) {
            return estimator;
        }
        return new Configured(estimator, detach, penalty, Math.log(settings.get(TARGET)));
    }

    private record Configured(BetaEstimator inner, boolean detach, double penaltyWeight, double logTarget)
            implements BetaEstimator {

        @Override
        public Tensor beta(PreferenceBatch batch) {
            Tensor beta = inner.beta(batch);
            return detach ? beta.detach() : beta;
        }

        @Override
        public Estimate train(PreferenceBatch batch) {
            Estimate e = inner.train(batch);
            Tensor beta = detach ? e.beta().detach() : e.beta();
            Tensor penalty = e.penalty();
            if (penaltyWeight > 0) {
                Tensor mine = beta.log().sub(logTarget).square().mean().mul(penaltyWeight);
                penalty = penalty == null ? mine : penalty.add(mine);
            }
            return new Estimate(beta, e.weights(), penalty);
        }

        @Override
        public double baseBeta() {
            return inner.baseBeta();
        }

        @Override
        public Map<String, Tensor> namedParameters() {
            return inner.namedParameters();
        }

        @Override
        public Map<String, double[]> state() {
            return inner.state();
        }

        @Override
        public void loadState(Map<String, double[]> state) {
            inner.loadState(state);
        }
    }
}
