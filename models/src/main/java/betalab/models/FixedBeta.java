package betalab.models;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.Tensor;
import java.util.List;

/** DPO's β: the same constant for every pair, nothing to train. */
public final class FixedBeta implements BetaEstimator {
    private final double beta;

    public FixedBeta(double beta) {
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("beta must be a positive finite number, got " + beta);
        }
        this.beta = beta;
    }

    @Override
    public Tensor beta(PreferenceBatch batch) {
        return batch.policyChosen().detach().zerosLike().add(beta);
    }

    /** Binds "fixed". */
    public static final class Provider implements BetaEstimator.Provider {
        @Override
        public String description() {
            return "DPO's constant β for every pair";
        }

        @Override
        public List<Knob> knobs() {
            return List.of(Knob.real("beta", 0.1, "the constant β").positive());
        }

        @Override
        public BetaEstimator create(Settings settings, Context context) {
            return new FixedBeta(settings.real("beta"));
        }
    }
}
