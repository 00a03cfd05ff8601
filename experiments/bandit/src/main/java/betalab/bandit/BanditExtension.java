package betalab.bandit;

import betalab.api.registry.Extension;
import betalab.api.task.Task;
import com.google.inject.AbstractModule;

/** Binds the synthetic contextual bandit as the task "bandit". */
public final class BanditExtension extends AbstractModule implements Extension {
    @Override
    protected void configure() {
        Task.POINT.bind(binder(), "bandit", "synthetic contextual bandit: K candidates per prompt, hidden reward "
                + "r*(x, y) = (W*·x)·y, Bradley–Terry labels with noise ε, exact evaluation", BanditTask.KNOBS,
                BanditTask::new);
    }
}
