package betalab.models;

import betalab.api.preference.BetaEstimator;
import betalab.api.registry.Extension;
import betalab.api.registry.Extensions;
import betalab.api.registry.Knob;
import com.google.inject.AbstractModule;
import com.google.inject.multibindings.MapBinder;
import java.util.List;

/** Binds the β schemes by name. */
public final class BetaSchemesExtension extends AbstractModule implements Extension {
    @Override
    protected void configure() {
        MapBinder<String, BetaEstimator.Provider> schemes = Extensions.betaEstimators(binder());
        schemes.addBinding("fixed").toInstance(BetaEstimator.Provider.of("DPO's constant β for every pair",
                List.of(Knob.real("beta", 0.1, "the constant β").positive()),
                (settings, context) -> new FixedBeta(settings.real("beta"))));
        schemes.addBinding("learnable_scalar").toInstance(BetaEstimator.Provider.of(
                "one trainable β = softplus(w) or exp(w) shared by every pair", LearnableScalarBeta.KNOBS,
                LearnableScalarBeta::fromSettings));
        schemes.addBinding("softplus_mlp").toInstance(BetaEstimator.Provider.of(
                "learnable β(x) = softplus(MLP(x)) on prompt features (the seed document's network)",
                SoftplusMlpBeta.KNOBS,
                (settings, context) -> SoftplusMlpBeta.fromSettings(PromptInput.FEATURES, settings, context)));
        schemes.addBinding("policy_mlp").toInstance(BetaEstimator.Provider.of(
                "learnable β(x; πθ) = softplus(MLP(h)) on the policy's representation h of the prompt",
                SoftplusMlpBeta.KNOBS,
                (settings, context) -> SoftplusMlpBeta.fromSettings(PromptInput.REPRESENTATION, settings, context)));
        schemes.addBinding("ppl_scaled").toInstance(BetaEstimator.Provider.of(
                "bounded PPL-scaled β = |w|·PPL_πθ(x)·(1 + ε·tanh(NN(h))) (1587causalai/learnable-beta-dpo)",
                PplScaledBeta.KNOBS, PplScaledBeta::fromSettings));
        schemes.addBinding("beta_dpo_batch").toInstance(BetaEstimator.Provider.of(
                "β-DPO's batch-level dynamic β, β₀·[1 + α(mean M − M₀)], with optional filtering (Wu et al. 2024)",
                BetaDpo.KNOBS, (settings, context) -> BetaDpo.fromSettings(BetaDpo.Level.BATCH, settings, context)));
        schemes.addBinding("beta_dpo_instance").toInstance(BetaEstimator.Provider.of(
                "β-DPO's instance-level dynamic β, β₀·[1 + α(M_i − M₀)], with optional filtering (Wu et al. 2024)",
                BetaDpo.KNOBS,
                (settings, context) -> BetaDpo.fromSettings(BetaDpo.Level.INSTANCE, settings, context)));
    }
}
