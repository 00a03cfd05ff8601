package betalab.loss;

import betalab.api.preference.PreferenceLoss;
import betalab.api.preference.PreferenceObjective;
import betalab.api.registry.Extension;
import betalab.api.registry.Extensions;
import com.google.inject.AbstractModule;
import com.google.inject.multibindings.MapBinder;
import com.google.inject.multibindings.OptionalBinder;
import java.util.List;

/** Binds the preference losses by name, and LearnableBetaDPO as the way β and loss are joined. */
public final class LossesExtension extends AbstractModule implements Extension {
    @Override
    protected void configure() {
        MapBinder<String, PreferenceLoss.Provider> losses = Extensions.losses(binder());
        losses.addBinding("sigmoid").toInstance(PreferenceLoss.Provider.of("DPO: −log σ(β·h)", List.of(),
                settings -> new SigmoidLoss()));
        OptionalBinder.newOptionalBinder(binder(), PreferenceObjective.Assembler.class).setBinding()
                .toInstance(LearnableBetaDpo::new);
    }
}
