package betalab.models;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * The adaptive KL controller of PPO-style RLHF (Ziegler et al. 2019, "Fine-Tuning Language Models
 * from Human Preferences", §2.2; openai/lm-human-preferences and TRL's {@code AdaptiveKLController}):
 * after each step, β ← β·(1 + clip(KL/target − 1, −0.2, 0.2)·n_steps/horizon). As in those codes
 * ({@code kl_ctl.update(kl, batch_size)}), n_steps is the number of samples in the step's batch,
 * here its number of pairs n, so the gain is K = n/horizon.
 *
 * <p>KL is a proxy: a preference step samples nothing, so it is the batch's mean over pairs of
 * (c + r)/2, the policy-to-reference log-ratios of both completions. The completions are not samples
 * from πθ, so this is not an estimate of KL(πθ‖π_ref) and may be negative (then β falls at the
 * clipped rate).
 *
 * <p>A step trains with the current β and then updates it from that step's KL, so the batch's KL
 * steers the next step, as in the source (the rewards of a rollout use the coefficient in force, and
 * {@code update} follows the step). β is detached (the controller is not trained); it is the
 * checkpointed state. {@link #beta} (evaluation) returns the current β and changes nothing.
 */
public final class KlController implements BetaEstimator {
    /** The clip of the proportional error, as the source's np.clip(…, −0.2, 0.2). */
    static final double CLIP = 0.2;

    static final Knob<Double> INIT = Knob.real("init", 0.1, "β₀, the coefficient before the first update")
            .positive();
    static final Knob<Double> TARGET = Knob.real("target", 6.0, "the target KL proxy, mean (c + r)/2, in nats")
            .positive();
    static final Knob<Double> HORIZON = Knob.real("horizon", 10000.0, "the horizon H: the gain is K = n/H "
            + "for a batch of n pairs").positive();
    static final List<Knob<?>> KNOBS = List.of(INIT, TARGET, HORIZON);

    private final double init;
    private final double target;
    private final double horizon;
    private double beta;

    KlController(double init, double target, double horizon) {
        if (!(init > 0 && target > 0 && horizon > 0)) {
            throw new IllegalArgumentException("kl_controller needs init, target and horizon > 0, got "
                    + init + ", " + target + ", " + horizon);
        }
        this.init = init;
        this.target = target;
        this.horizon = horizon;
        this.beta = init;
    }

    static KlController fromSettings(Settings settings, Context context) {
        return new KlController(settings.get(INIT), settings.get(TARGET), settings.get(HORIZON));
    }

    /** The current β, which the next step trains with. */
    public double value() {
        return beta;
    }

    /** The KL proxy of a batch: mean over pairs of (c + r)/2. */
    static double klProxy(PreferenceBatch batch) {
        return batch.chosenLogRatio().add(batch.rejectedLogRatio()).detach().mean().item() / 2;
    }

    @Override
    public Tensor beta(PreferenceBatch batch) {
        return batch.policyChosen().detach().zerosLike().add(beta);
    }

    @Override
    public Estimate train(PreferenceBatch batch) {
        Tensor current = beta(batch);
        double error = Math.max(-CLIP, Math.min(CLIP, klProxy(batch) / target - 1));
        double multiplier = 1 + error * batch.size() / horizon;
        if (!(multiplier > 0)) {
            // The source would flip β's sign; with n/H ≥ 5 the clip no longer keeps the multiplier positive.
            throw new IllegalStateException("kl_controller: a batch of " + batch.size() + " pairs with horizon "
                    + horizon + " gives the gain n/horizon = " + batch.size() / horizon + " and the multiplier "
                    + multiplier + " ≤ 0; use a horizon above " + CLIP * batch.size());
        }
        beta *= multiplier;
        return new Estimate(current, null, null);
    }

    @Override
    public double baseBeta() {
        return init;
    }

    /** "beta": the current coefficient. */
    @Override
    public Map<String, double[]> state() {
        return SavedCoefficient.save(beta);
    }

    @Override
    public void loadState(Map<String, double[]> state) {
        beta = SavedCoefficient.load(state);
    }
}
