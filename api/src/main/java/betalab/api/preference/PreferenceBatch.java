package betalab.api.preference;

import betalab.api.tensor.Tensor;
import java.util.Objects;

/**
 * A batch of n preference pairs as losses and β estimators see them. Log-probabilities are summed
 * over each completion, shape [n]; lengths are token counts, shape [n]. The rest is optional and
 * null when absent.
 *
 * @param policyChosen   log πθ(y_w | x)
 * @param policyRejected log πθ(y_l | x)
 * @param refChosen      log π_ref(y_w | x)
 * @param refRejected    log π_ref(y_l | x)
 * @param chosenLength   |y_w|, in tokens
 * @param rejectedLength |y_l|, in tokens
 * @param features       prompt features x, shape [n, d], given with the data (no gradient)
 * @param representation the policy's own representation of each prompt, shape [n, h]; gradients
 *                       through it reach the policy
 * @param promptLogps    log πθ(x), summed over the prompt's tokens, shape [n]
 * @param promptLength   |x|, in tokens, shape [n]
 * @param chosenTokens   log πθ of each token of y_w, shape [n, T], 0 past each completion's length;
 *                       given where the policy scores tokens (token-level losses and statistics read it)
 * @param rejectedTokens the same for y_l, shape [n, T']
 * @param distributions  the policy's and the reference's whole next-token distributions at every
 *                       completion position, where the policy gives them (ε-DPO and WPO read them)
 */
public record PreferenceBatch(Tensor policyChosen, Tensor policyRejected, Tensor refChosen, Tensor refRejected,
                              Tensor chosenLength, Tensor rejectedLength, Tensor features, Tensor representation,
                              Tensor promptLogps, Tensor promptLength, Tensor chosenTokens, Tensor rejectedTokens,
                              Distributions distributions) {

    /**
     * log π(v | prefix) of every vocabulary entry v at each completion position, for the policy (with
     * gradient) and the reference (without), [2n, T, V] each: pair i's chosen completion is row i, its
     * rejected one row n + i, and T the longest completion (positions past a completion's length hold
     * any distribution, so readers mask them by length).
     */
    public static final class Distributions {
        private final Tensor policy;
        private Tensor reference;
        private java.util.function.Supplier<Tensor> referenceSource;

        public Distributions(Tensor policy, Tensor reference) {
            this(policy);
            this.reference = requireLike(Objects.requireNonNull(reference, "reference"));
        }

        private Distributions(Tensor policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            if (policy.rank() != 3 || policy.dim(0) % 2 != 0) {
                throw new IllegalArgumentException("distributions must be [2n, T, V], got "
                        + java.util.Arrays.toString(policy.shape()));
            }
        }

        /**
         * The policy's distributions now, the reference's when first read: a frozen reference whose
         * log-probabilities were computed once is scored again only for a method that reads its
         * whole distributions (ε-DPO).
         */
        public static Distributions withLazyReference(Tensor policy, java.util.function.Supplier<Tensor> reference) {
            Distributions d = new Distributions(policy);
            d.referenceSource = Objects.requireNonNull(reference, "reference");
            return d;
        }

        private Tensor requireLike(Tensor reference) {
            if (!java.util.Arrays.equals(policy.shape(), reference.shape())) {
                throw new IllegalArgumentException("distributions must be [2n, T, V] for policy and reference alike, got "
                        + java.util.Arrays.toString(policy.shape()) + " and " + java.util.Arrays.toString(reference.shape()));
            }
            return reference;
        }

        /** The policy's log-probabilities, [2n, T, V], with gradient. */
        public Tensor policy() {
            return policy;
        }

        /** The reference's log-probabilities, [2n, T, V], without gradient. */
        public Tensor reference() {
            if (reference == null) {
                reference = requireLike(referenceSource.get());
                referenceSource = null;
            }
            return reference;
        }

        /** Each completion's length mask, [2n, T]: 1 where position t &lt; its length. */
        public Tensor mask(PreferenceBatch batch) {
            int n = batch.size();
            int width = policy.dim(1);
            double[] lengths = batch.chosenLength().toDoubleArray();
            double[] rejected = batch.rejectedLength().toDoubleArray();
            double[] mask = new double[2 * n * width];
            for (int j = 0; j < 2 * n; j++) {
                double length = j < n ? lengths[j] : rejected[j - n];
                for (int t = 0; t < width && t < length; t++) {
                    mask[j * width + t] = 1;
                }
            }
            return Tensor.of(policy.dtype(), mask, 2 * n, width);
        }

        /** The first half of a per-completion vector [2n]: the chosen completions'. */
        public static Tensor chosen(Tensor perCompletion) {
            return half(perCompletion, 0);
        }

        /** The second half of a per-completion vector [2n]: the rejected completions'. */
        public static Tensor rejected(Tensor perCompletion) {
            return half(perCompletion, 1);
        }

        private static Tensor half(Tensor v, int which) {
            int n = v.size() / 2;
            int[] index = new int[n];
            for (int i = 0; i < n; i++) {
                index[i] = which * n + i;
            }
            return v.gather(index);
        }
    }

    public PreferenceBatch {
        Objects.requireNonNull(policyChosen, "policyChosen");
        int n = policyChosen.size();
        requirePerPair("policyChosen", policyChosen, n);
        requirePerPair("policyRejected", Objects.requireNonNull(policyRejected, "policyRejected"), n);
        requirePerPair("refChosen", Objects.requireNonNull(refChosen, "refChosen"), n);
        requirePerPair("refRejected", Objects.requireNonNull(refRejected, "refRejected"), n);
        requirePerPair("chosenLength", Objects.requireNonNull(chosenLength, "chosenLength"), n);
        requirePerPair("rejectedLength", Objects.requireNonNull(rejectedLength, "rejectedLength"), n);
        requireRows("features", features, n);
        requireRows("representation", representation, n);
        if (promptLogps != null) {
            requirePerPair("promptLogps", promptLogps, n);
            requirePerPair("promptLength", Objects.requireNonNull(promptLength, "promptLength"), n);
        }
        requireRows("chosenTokens", chosenTokens, n);
        requireRows("rejectedTokens", rejectedTokens, n);
        if (distributions != null && distributions.policy().dim(0) != 2 * n) {
            throw new IllegalArgumentException("distributions must have 2n = " + 2 * n + " rows, got "
                    + distributions.policy().dim(0));
        }
    }

    private static void requirePerPair(String name, Tensor t, int n) {
        if (t.rank() != 1 || t.size() != n) {
            throw new IllegalArgumentException(name + " must have shape [" + n + "], got "
                    + java.util.Arrays.toString(t.shape()));
        }
    }

    private static void requireRows(String name, Tensor t, int n) {
        if (t != null && (t.rank() != 2 || t.dim(0) != n)) {
            throw new IllegalArgumentException(name + " must have shape [" + n + ", d], got "
                    + java.util.Arrays.toString(t.shape()));
        }
    }

    /** Starts a batch from its four log-probability vectors; lengths default to 1. */
    public static Builder of(Tensor policyChosen, Tensor policyRejected, Tensor refChosen, Tensor refRejected) {
        return new Builder(policyChosen, policyRejected, refChosen, refRejected);
    }

    /**
     * Pairs given directly by their margin Δ (the seed experiment's setting): log πθ(y_w) = Δ and
     * every other log-probability 0, so h = Δ.
     */
    public static PreferenceBatch ofMargins(Tensor margin, Tensor features) {
        Tensor zero = margin.detach().zerosLike();
        return of(margin, zero, zero, zero).features(features).build();
    }

    public int size() {
        return policyChosen.size();
    }

    /** c = log πθ(y_w) − log π_ref(y_w). */
    public Tensor chosenLogRatio() {
        return policyChosen.sub(refChosen);
    }

    /** r = log πθ(y_l) − log π_ref(y_l). */
    public Tensor rejectedLogRatio() {
        return policyRejected.sub(refRejected);
    }

    /** h = c − r, the seed document's Δ. */
    public Tensor margin() {
        return chosenLogRatio().sub(rejectedLogRatio());
    }

    /** Assembles a batch; only the four log-probability vectors are required. */
    public static final class Builder {
        private final Tensor policyChosen;
        private final Tensor policyRejected;
        private final Tensor refChosen;
        private final Tensor refRejected;
        private Tensor chosenLength;
        private Tensor rejectedLength;
        private Tensor features;
        private Tensor representation;
        private Tensor promptLogps;
        private Tensor promptLength;
        private Tensor chosenTokens;
        private Tensor rejectedTokens;
        private Distributions distributions;

        private Builder(Tensor policyChosen, Tensor policyRejected, Tensor refChosen, Tensor refRejected) {
            this.policyChosen = policyChosen;
            this.policyRejected = policyRejected;
            this.refChosen = refChosen;
            this.refRejected = refRejected;
        }

        public Builder lengths(Tensor chosen, Tensor rejected) {
            this.chosenLength = chosen;
            this.rejectedLength = rejected;
            return this;
        }

        public Builder features(Tensor x) {
            this.features = x;
            return this;
        }

        public Builder representation(Tensor h) {
            this.representation = h;
            return this;
        }

        public Builder prompt(Tensor logps, Tensor length) {
            this.promptLogps = logps;
            this.promptLength = length;
            return this;
        }

        /** Per-token log πθ of the chosen and rejected completions, [n, T], 0 past each length. */
        public Builder tokens(Tensor chosen, Tensor rejected) {
            this.chosenTokens = chosen;
            this.rejectedTokens = rejected;
            return this;
        }

        /** The policy's and the reference's next-token distributions, [2n, T, V] each. */
        public Builder distributions(Distributions d) {
            this.distributions = d;
            return this;
        }

        public PreferenceBatch build() {
            Tensor ones = policyChosen.detach().zerosLike().add(1.0);
            return new PreferenceBatch(policyChosen, policyRejected, refChosen, refRejected,
                    chosenLength == null ? ones : chosenLength, rejectedLength == null ? ones : rejectedLength,
                    features, representation, promptLogps, promptLength, chosenTokens, rejectedTokens,
                    distributions);
        }
    }
}
