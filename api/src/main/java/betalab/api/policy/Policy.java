package betalab.api.policy;

import betalab.api.Stateful;
import betalab.api.random.Rng;
import betalab.api.registry.Component;
import betalab.api.registry.DefinedComponent;
import betalab.api.registry.Knob;
import betalab.api.registry.Settings;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.List;
import java.util.function.BiFunction;

/**
 * A policy over a finite set of candidate responses per prompt, the contextual bandit's πθ: an
 * encoder maps each prompt x to a representation e(x) in the response space, candidate y scores
 * e(x)·y, and πθ(y_k | x) = softmax_k(e(x)·y_k). The representation is what β(x; πθ) reads.
 */
public interface Policy extends Stateful {

    /** e(x) for each prompt: [n, promptDim] to [n, responseDim]. */
    Tensor encode(Tensor prompts);

    /** Trainable parameters. */
    List<Tensor> parameters();

    /** log πθ(y_k | x) of every candidate: representation [n, d], candidates [n, K, d], result [n, K]. */
    static Tensor logProbs(Tensor representation, Tensor candidates) {
        int n = candidates.dim(0);
        int d = candidates.dim(2);
        Tensor scores = candidates.mul(representation.reshape(n, 1, d)).sum(2);
        return scores.sub(scores.logSumExp(1).reshape(n, 1));
    }

    /** What a policy needs to build itself. */
    record Context(int promptDim, int responseDim, Rng rng, DType dtype) {
    }

    /** Makes the policy from its knobs; bound by name in the registry. */
    interface Provider extends Component {
        Policy create(Settings settings, Context context);

        /** A provider from its description, its knobs and how it builds the policy from them. */
        static Provider of(String description, List<Knob> knobs, BiFunction<Settings, Context, Policy> factory) {
            final class Defined extends DefinedComponent implements Provider {
                Defined(Class<?> origin) {
                    super(description, knobs, origin);
                }

                @Override
                public Policy create(Settings settings, Context context) {
                    return factory.apply(settings, context);
                }
            }
            return new Defined(DefinedComponent.definer());
        }
    }
}
