package betalab.api.task;

import betalab.api.policy.Policy;
import betalab.api.random.Rng;
import betalab.api.registry.ExtensionPoint;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * What a policy is trained on and judged by: prompts, a way to make preference pairs from them (a
 * true reward, the labels it gives, label noise), a held-out split, and an evaluator. The contextual
 * bandit is one; a corpus of text with a programmatic reward is another.
 */
public interface Task {

    /** The tasks, bound by name. */
    ExtensionPoint<Task, Context> POINT = ExtensionPoint.of("task", "Tasks", Task.class);

    /**
     * The number of distinct completion tokens: a policy's vocabulary; 0 where the task takes the
     * policy's own (a pretrained language model's, whose tokenizer the task uses).
     */
    int vocabularySize();

    /** Tables of feature vectors policies may read, by name (see {@link Policy.Context}). */
    default Map<String, Tensor> tables() {
        return Map.of();
    }

    /** The width of the prompt feature vectors pairs carry for β schemes that read them; 0 for none. */
    int featureDim();

    /**
     * Makes the training pairs and the held-out evaluation, once, before training; pairs may be
     * drawn from the reference policy with the run's generator.
     */
    Prepared prepare(Policy reference, Rng rng);

    /** A task's data for one run. */
    record Prepared(PreferencePairs train, Evaluator evaluator) {
    }

    /** Judges a policy on the held-out split. */
    interface Evaluator {
        /** Metrics of {@code policy} (and against {@code reference}), named "eval/…". */
        Map<String, Double> evaluate(Policy policy, Policy reference);

        /** The metric the best evaluation is chosen by. */
        String headline();

        /** Whether a larger {@link #headline()} is better. */
        default boolean higherIsBetter() {
            return true;
        }

        /**
         * A few examples from the last {@link #evaluate} for people to read — completions of fixed
         * held-out prompts by the policy and the reference, say — each a flat record of names to
         * strings and numbers; empty where the task has none.
         */
        default List<Map<String, Object>> samples() {
            return List.of();
        }
    }

    /** What a task is built with: the run's generator and a precision. */
    record Context(Rng rng, DType dtype) {
    }
}
