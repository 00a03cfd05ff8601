package betalab.models;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PromptInput;
import betalab.api.registry.Extension;
import betalab.api.registry.Knob;
import com.google.inject.AbstractModule;
import java.util.List;

/** Binds the β schemes by name. */
public final class BetaSchemesExtension extends AbstractModule implements Extension {
    static final Knob<Double> BETA = Knob.real("beta", 0.1, "the constant β").positive();

    @Override
    protected void configure() {
        var schemes = BetaEstimator.POINT;
        schemes.bind(binder(), "fixed", "DPO's constant β for every pair", List.of(BETA),
                (settings, context) -> new FixedBeta(settings.get(BETA)));
        schemes.bind(binder(), "learnable_scalar", "one trainable β = softplus(w) or exp(w) shared by every pair",
                LearnableScalarBeta.KNOBS, LearnableScalarBeta::fromSettings);
        schemes.bind(binder(), "softplus_mlp",
                "learnable β(x) = softplus(MLP(x)) on prompt features (the seed document's network)",
                SoftplusMlpBeta.KNOBS, (settings, context) -> new SoftplusMlpBeta(PromptInput.FEATURES, settings, context));
        schemes.bind(binder(), "policy_mlp",
                "learnable β(x; πθ) = softplus(MLP(h)) on the policy's representation h of the prompt",
                SoftplusMlpBeta.KNOBS,
                (settings, context) -> new SoftplusMlpBeta(PromptInput.REPRESENTATION, settings, context));
        schemes.bind(binder(), "ppl_scaled",
                "bounded PPL-scaled β = |w|·PPL_πθ(x)·(1 + ε·tanh(NN(h))) (1587causalai/learnable-beta-dpo)",
                PplScaledBeta.KNOBS, PplScaledBeta::fromSettings);
        schemes.bind(binder(), "beta_dpo_batch",
                "β-DPO's batch-level dynamic β, β₀·[1 + α(mean of the kept gaps − M₀)] per micro-batch, with its "
                        + "Gaussian filter, as the authors' code runs it (Wu et al. 2024; junkangwu/beta-DPO)",
                BetaDpo.KNOBS, (settings, context) -> BetaDpo.fromSettings(BetaDpo.Level.BATCH, settings, context));
        schemes.bind(binder(), "beta_dpo_instance",
                "β-DPO's instance-level dynamic β, β₀·[1 + α(A_i − M₀)] (the paper's variant; Wu et al. 2024), "
                        + "statistics and filter as beta_dpo_batch",
                BetaDpo.KNOBS, (settings, context) -> BetaDpo.fromSettings(BetaDpo.Level.INSTANCE, settings, context));
        schemes.bind(binder(), "beta_schedule",
                "β by training step, start + (end − start)·s(t/steps), s constant, linear or cosine, then end "
                        + "(a non-learned baseline)", BetaSchedule.KNOBS, BetaSchedule::fromSettings);
        schemes.bind(binder(), "kl_controller",
                "adaptive KL controller, β ← β·(1 + clip(KL/target − 1, ±0.2)·n/horizon) after each step, KL proxied "
                        + "by the batch's mean (c + r)/2 (Ziegler et al. 2019; openai/lm-human-preferences, TRL)",
                KlController.KNOBS, KlController::fromSettings);
        schemes.bind(binder(), "epsilon_dpo",
                "ε-DPO's instance-level β/(1 + ε·s_i), s_i from the pair's log-ratio under β-perturbed policies, and "
                        + "its global update β ← β/(1 + ε·mean s) (Lee et al. 2025, NeurIPS; oddqueue/e-dpo)",
                EpsilonDpo.KNOBS, EpsilonDpo::fromSettings);
        schemes.bind(binder(), "mallows_dispersion",
                "MallowsPO-θ's β(x) = β₀·c·(−log ē(x)), ē the policy's per-token entropy over log V (Chen et al. "
                        + "2024, arXiv 2405.14953; haoxian-chen/MallowsPO)",
                MallowsDispersionBeta.KNOBS, MallowsDispersionBeta::fromSettings);
    }
}
