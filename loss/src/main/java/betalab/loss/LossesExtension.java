package betalab.loss;

import betalab.api.preference.PreferenceObjective;
import betalab.api.registry.Extension;
import betalab.api.registry.Extensions;
import com.google.inject.AbstractModule;

/** Binds the preference losses by name, and LearnableBetaDPO as the way β and loss are joined. */
public final class LossesExtension extends AbstractModule implements Extension {
    @Override
    protected void configure() {
        Extensions.losses(binder()).addBinding("sigmoid").toInstance(new SigmoidLoss.Provider());
        bind(PreferenceObjective.Assembler.class).toInstance(LearnableBetaDpo::new);
    }
}
