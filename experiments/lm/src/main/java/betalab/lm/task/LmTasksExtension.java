package betalab.lm.task;

import betalab.api.registry.Extension;
import betalab.api.task.Task;
import com.google.inject.AbstractModule;

/** Binds the language-model tasks: "lm_reward" (a programmatic reward on the model's samples) and "trl_data" (a preference file). */
public final class LmTasksExtension extends AbstractModule implements Extension {
    @Override
    protected void configure() {
        Task.POINT.bind(binder(), "lm_reward", "a language model steered by a true reward (sentiment: AFINN valence; "
                + "length: words from a target) on its own samples: prompts from held-out text, Bradley–Terry "
                + "labels with noise ε, evaluation by sampling", RewardTask.KNOBS, RewardTask::new);
        Task.POINT.bind(binder(), "trl_data", "a preference file (TRL's prompt/chosen/rejected text) tokenized with "
                + "the language model's tokenizer, optionally with precomputed reference log-probs; held-out "
                + "implicit-reward accuracy", DataTask.KNOBS, DataTask::new);
    }
}
