package betalab.loss;

import static java.lang.Math.exp;
import static java.lang.Math.log;
import static java.lang.Math.log1p;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.PreferenceLoss;
import betalab.api.registry.Registry;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.DoubleUnaryOperator;
import java.util.function.IntToDoubleFunction;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;

/**
 * The loss catalogue (the formulas in the README and their papers) again, in plain doubles and independent of
 * the tensors: each loss's reference, written for stability (log σ from log1p, 1 − σ(x) as σ(−x)),
 * with the knob values it is checked at.
 */
final class Formulas {
    static final Registry REGISTRY = Registry.of(List.of(new LossesExtension()));

    /** The losses written in h, which take the f-divergence knobs. */
    static final List<String> ON_H = List.of("sigmoid", "cdpo", "robust", "hinge", "ipo", "exo_pair", "discopop",
            "sigmoid_norm");

    private Formulas() {
    }

    /** The loss {@code name} built through the registry, as a run builds it. */
    static PreferenceLoss loss(String name, Map<String, ?> knobs) {
        return REGISTRY.create(PreferenceLoss.POINT, name, knobs, null);
    }

    /** One pair as the formulas see it; s is the f-divergence's transform (identity: reverse_kl). */
    record Pair(double pc, double pr, double rc, double rr, double lw, double ll, double beta, DoubleUnaryOperator s) {
        double c() {
            return pc - rc;
        }

        double r() {
            return pr - rr;
        }

        double h() {
            return s.applyAsDouble(c()) - s.applyAsDouble(r());
        }

        double hbar() {
            return s.applyAsDouble(c()) / lw - s.applyAsDouble(r()) / ll;
        }

        /** β·h. */
        double z() {
            return beta * h();
        }
    }

    /** A bound loss at some knob values, and its reference over a batch under a transform s. */
    record Case(String loss, Map<String, Object> knobs, BiFunction<Pairs, DoubleUnaryOperator, double[]> reference) {
        PreferenceLoss build() {
            return build(Map.of());
        }

        /** The loss with these extra knobs on top of the case's own. */
        PreferenceLoss build(Map<String, ?> extra) {
            Map<String, Object> all = new HashMap<>(knobs);
            all.putAll(extra);
            return Formulas.loss(loss, all);
        }

        double[] expected(Pairs pairs) {
            return reference.apply(pairs, u -> u);
        }

        boolean onH() {
            return ON_H.contains(loss);
        }

        @Override
        public String toString() {
            return loss + (knobs.isEmpty() ? "" : " " + knobs);
        }
    }

    /** An f-divergence setting and its transform s(u), exponents clamped at 80. */
    record DivergenceCase(String name, double alpha, DoubleUnaryOperator s) {
        static DivergenceCase alpha(double a) {
            return new DivergenceCase("alpha", a, u -> exp(Math.min((a - 1) * u, 80)) / (a - 1));
        }

        Map<String, Object> knobs() {
            return Map.of("divergence", name, "alpha", alpha);
        }

        @Override
        public String toString() {
            return name.equals("alpha") ? "alpha " + alpha : name;
        }
    }

    static final List<DivergenceCase> DIVERGENCES = List.of(
            new DivergenceCase("reverse_kl", 0.5, u -> u),
            new DivergenceCase("forward_kl", 0.5, u -> -exp(Math.min(-u, 80))),
            new DivergenceCase("js", 0.5, Formulas::logSigmoid),
            DivergenceCase.alpha(0.5), DivergenceCase.alpha(1.7), DivergenceCase.alpha(-0.5));

    private static final Map<String, Object> DEFAULTS = Map.of();

    /** The transform s of a divergence, by name. */
    static DoubleUnaryOperator transform(String divergence) {
        return DIVERGENCES.stream().filter(d -> d.name().equals(divergence)).findFirst().orElseThrow().s();
    }

    /** Every loss, at its defaults and, for those with knobs, elsewhere in their range. */
    static List<Case> catalogue() {
        return List.of(sigmoid(), cdpo(Map.of("epsilon", 0.2)), robust(Map.of("epsilon", 0.2)), hinge(), ipo(),
                exoPair(DEFAULTS), exoPair(Map.of("epsilon", 0.3)), ncaPair(), bcoPair(), sppoHard(),
                aot(Map.of("epsilon", 0.1)), aotUnpaired(DEFAULTS), aotUnpaired(Map.of("epsilon", 0.25)), apoZero(),
                apoDown(), discopop(DEFAULTS), discopop(Map.of("tau", 0.5)), sigmoidNorm(), simpo(DEFAULTS),
                simpo(Map.of("gamma", 0.0)), sft(), dpop(DEFAULTS), dpop(Map.of("lambda", 5.0)), calDpo(), alphapo(DEFAULTS),
                alphapo(Map.of("alpha", -0.5, "gamma", 0.1)), alphapo(Map.of("alpha", 0.0)));
    }

    // ---------------------------------------------------------------- the catalogue; knobs default as in TRL

    static Case sigmoid() {
        return each("sigmoid", DEFAULTS, p -> -logSigmoid(p.z()));
    }

    static Case cdpo(Map<String, Object> knobs) {
        double e = real(knobs, "epsilon", 0);
        return each("cdpo", knobs, p -> smoothed(p.z(), e));
    }

    static Case robust(Map<String, Object> knobs) {
        double e = real(knobs, "epsilon", 0);
        return each("robust", knobs, p -> (-(1 - e) * logSigmoid(p.z()) + e * logSigmoid(-p.z())) / (1 - 2 * e));
    }

    static Case hinge() {
        return each("hinge", DEFAULTS, p -> Math.max(0, 1 - p.z()));
    }

    static Case ipo() {
        return each("ipo", DEFAULTS, p -> square(p.hbar() - 1 / (2 * p.beta())));
    }

    static Case exoPair(Map<String, Object> knobs) {
        double e = real(knobs, "epsilon", 1e-3);
        return each("exo_pair", knobs, p -> sigmoid(p.z()) * (logSigmoid(p.z()) - log(1 - e))
                + sigmoid(-p.z()) * (logSigmoid(-p.z()) - log(e)));
    }

    static Case ncaPair() {
        return each("nca_pair", DEFAULTS, p -> -logSigmoid(p.beta() * p.c()) - 0.5 * logSigmoid(-p.beta() * p.c())
                - 0.5 * logSigmoid(-p.beta() * p.r()));
    }

    static Case bcoPair() {
        return each("bco_pair", DEFAULTS, p -> -logSigmoid(p.beta() * p.c()) - logSigmoid(-p.beta() * p.r()));
    }

    static Case sppoHard() {
        return each("sppo_hard", DEFAULTS,
                p -> square(p.c() - 1 / (2 * p.beta())) + square(p.r() + 1 / (2 * p.beta())));
    }

    /** d = sort(β(log πθ(y_w) − log πθ(y_l))) − sort(β(log π_ref(y_w) − log π_ref(y_l))). */
    static Case aot(Map<String, Object> knobs) {
        double e = real(knobs, "epsilon", 0);
        return new Case("aot", knobs, (b, s) -> sortedSmoothed(
                i -> b.beta()[i] * (b.pc()[i] - b.pr()[i]), i -> b.beta()[i] * (b.rc()[i] - b.rr()[i]), b.size(), e));
    }

    /** d = sort(βc) − sort(βr). */
    static Case aotUnpaired(Map<String, Object> knobs) {
        double e = real(knobs, "epsilon", 0);
        return new Case("aot_unpaired", knobs, (b, s) -> sortedSmoothed(
                i -> b.beta()[i] * (b.pc()[i] - b.rc()[i]), i -> b.beta()[i] * (b.pr()[i] - b.rr()[i]), b.size(), e));
    }

    static Case apoZero() {
        return each("apo_zero", DEFAULTS, p -> sigmoid(-p.beta() * p.c()) + sigmoid(p.beta() * p.r()));
    }

    static Case apoDown() {
        return each("apo_down", DEFAULTS, p -> sigmoid(p.beta() * p.c()) + sigmoid(-p.beta() * (p.c() - p.r())));
    }

    /** m·e^(−z) as e^(log σ(z/τ) − z): the plain product is 0·∞ for z → −∞. */
    static Case discopop(Map<String, Object> knobs) {
        double tau = real(knobs, "tau", 0.05);
        return each("discopop", knobs, p -> sigmoid(-p.z() / tau) * -logSigmoid(p.z())
                + exp(logSigmoid(p.z() / tau) - p.z()));
    }

    static Case sigmoidNorm() {
        return each("sigmoid_norm", DEFAULTS, p -> -logSigmoid(p.beta() * p.hbar()));
    }

    static Case simpo(Map<String, Object> knobs) {
        double gamma = real(knobs, "gamma", 0.5);
        return each("simpo", knobs, p -> -logSigmoid(p.beta() * (p.pc() / p.lw() - p.pr() / p.ll()) - gamma));
    }

    /** The chosen completion's negative log-likelihood per token, whatever β and the reference. */
    static Case sft() {
        return each("sft", DEFAULTS, p -> -p.pc() / p.lw());
    }

    /** Smaug's Eq. 3: −log σ(β·(h − λ·max(0, log π_ref(y_w) − log πθ(y_w)))). */
    static Case dpop(Map<String, Object> knobs) {
        double lambda = real(knobs, "lambda", 50);
        return each("dpop", knobs, p -> -logSigmoid(p.beta() * (p.c() - p.r() - lambda * Math.max(0, -p.c()))));
    }

    /** The Cal-DPO authors' loss: −log σ(c − r) + ½(c − 1/(2β))² + ½(r + 1/(2β))². */
    static Case calDpo() {
        return each("cal_dpo", DEFAULTS, p -> -logSigmoid(p.c() - p.r())
                + 0.5 * square(p.c() - 1 / (2 * p.beta())) + 0.5 * square(p.r() + 1 / (2 * p.beta())));
    }

    /** −log σ(β·(r(y_w) − r(y_l)) − γ), r = −expm1(min(−α·ℓ̄, 80))/α, ℓ̄ = log πθ(y)/|y|; α = 0: r = ℓ̄. */
    static Case alphapo(Map<String, Object> knobs) {
        double alpha = real(knobs, "alpha", 0.25);
        double gamma = real(knobs, "gamma", 0.5);
        DoubleUnaryOperator reward = l -> alpha == 0 ? l : -Math.expm1(Math.min(-alpha * l, 80)) / alpha;
        return each("alphapo", knobs, p -> -logSigmoid(p.beta() * (reward.applyAsDouble(p.pc() / p.lw())
                - reward.applyAsDouble(p.pr() / p.ll())) - gamma));
    }

    // ---------------------------------------------------------------- helpers

    /** The knob's value in the case, else TRL's default. */
    private static double real(Map<String, Object> knobs, String knob, double trlDefault) {
        return ((Number) knobs.getOrDefault(knob, trlDefault)).doubleValue();
    }

    /** A loss of each pair alone. */
    private static Case each(String loss, Map<String, Object> knobs, ToDoubleFunction<Pair> perPair) {
        return new Case(loss, knobs, (b, s) -> IntStream.range(0, b.size())
                .mapToDouble(i -> perPair.applyAsDouble(b.pair(i, s))).toArray());
    }

    /** AOT's −(1−ε) log σ(d) − ε log σ(−d), d = sort(a) − sort(b) over the batch. */
    private static double[] sortedSmoothed(IntToDoubleFunction a, IntToDoubleFunction b, int n, double e) {
        double[] x = IntStream.range(0, n).mapToDouble(a).sorted().toArray();
        double[] y = IntStream.range(0, n).mapToDouble(b).sorted().toArray();
        return IntStream.range(0, n).mapToDouble(i -> smoothed(x[i] - y[i], e)).toArray();
    }

    static double logSigmoid(double z) {
        return z >= 0 ? -log1p(exp(-z)) : z - log1p(exp(z));
    }

    static double sigmoid(double z) {
        return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
    }

    static double smoothed(double z, double e) {
        return -(1 - e) * logSigmoid(z) - e * logSigmoid(-z);
    }

    private static double square(double x) {
        return x * x;
    }

    /** The sum of these per-pair references with these weights. */
    static double[] weightedSum(double[] weights, double[]... terms) {
        double[] total = new double[terms[0].length];
        for (int k = 0; k < terms.length; k++) {
            for (int i = 0; i < total.length; i++) {
                total[i] += weights[k] * terms[k][i];
            }
        }
        return total;
    }

    /** Finite, and within a relative 1e-10 of the reference (absolute near zero). */
    static void assertMatches(double[] actual, double[] expected, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            double tolerance = 1e-10 * Math.max(1, Math.abs(expected[i]));
            assertThat(actual[i]).as("%s, pair %d: %s against %s", what, i, Arrays.toString(actual),
                    Arrays.toString(expected)).isFinite().isCloseTo(expected[i], within(tolerance));
        }
    }
}
