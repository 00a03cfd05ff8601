package betalab.optim;

import betalab.api.Stateful;
import betalab.api.optim.Optimizer;
import betalab.api.registry.Knob;
import betalab.api.registry.Provider;
import betalab.api.registry.Settings;
import betalab.api.tensor.AdamStep;
import betalab.api.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam (Kingma and Ba 2015) and AdamW (Loshchilov and Hutter 2019), step for step as
 * {@code torch.optim.Adam} / {@code AdamW} (1.13, single-tensor path, no amsgrad). They differ only
 * in weight decay: Adam adds wd·p to the gradient, AdamW ("decoupled") first shrinks p by
 * (1 − lr·wd). Then m = β1·m + (1 − β1)·g, v = β2·v + (1 − β2)·g²,
 * p ← p − lr/(1 − β1ᵗ) · m / (sqrt(v)/sqrt(1 − β2ᵗ) + eps).
 */
public final class Adam extends ParameterOptimizer {
    private final boolean decoupled;
    private double lr;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final State[] states;

    /** A parameter's moments and step count, made on its first step. */
    private static final class State {
        final Tensor m;
        final Tensor v;
        int step;

        State(Tensor m, Tensor v) {
            this.m = m;
            this.v = v;
        }
    }

    Adam(Settings settings, List<Tensor> parameters, boolean decoupled) {
        super(parameters);
        this.decoupled = decoupled;
        lr = settings.real("lr");
        beta1 = settings.real("beta1");
        beta2 = settings.real("beta2");
        eps = settings.real("eps");
        weightDecay = settings.real("weight_decay");
        states = new State[parameterCount()];
    }

    /** One fused backend kernel per parameter. */
    @Override
    void update(int i, Tensor p, Tensor grad) {
        if (states[i] == null) {
            states[i] = new State(p.zerosLike(), p.zerosLike());
        }
        State s = states[i];
        s.step++;
        double biasCorrection1 = 1 - Math.pow(beta1, s.step);
        double biasCorrection2 = 1 - Math.pow(beta2, s.step);
        double shrink = decoupled && weightDecay != 0 ? 1 - lr * weightDecay : 1;
        double l2 = decoupled ? 0 : weightDecay;
        p.adamStepInPlace(grad, s.m, s.v, new AdamStep(beta1, beta2, eps, l2, shrink, -lr / biasCorrection1,
                1 / Math.sqrt(biasCorrection2)));
    }

    /** Per stepped parameter i: "i.exp_avg", "i.exp_avg_sq" and "i.step", as torch names them. */
    @Override
    public Map<String, double[]> state() {
        Map<String, double[]> state = new LinkedHashMap<>();
        for (int i = 0; i < states.length; i++) {
            if (states[i] != null) {
                state.put(i + ".exp_avg", states[i].m.toDoubleArray());
                state.put(i + ".exp_avg_sq", states[i].v.toDoubleArray());
                state.put(i + ".step", new double[] {states[i].step});
            }
        }
        return state;
    }

    @Override
    public void loadState(Map<String, double[]> state) {
        for (int i = 0; i < states.length; i++) {
            if (!state.containsKey(i + ".step")) {
                states[i] = null;
                continue;
            }
            states[i] = new State(restored(state, i, "exp_avg"), restored(state, i, "exp_avg_sq"));
            states[i].step = (int) Stateful.entry(state, i + ".step", 1)[0];
        }
    }

    @Override
    public double learningRate() {
        return lr;
    }

    @Override
    public void learningRate(double lr) {
        this.lr = checkedRate(lr);
    }

    /** "adam" or, decoupled, "adamw", with torch's defaults; only weight decay's meaning and default differ. */
    static Provider<Optimizer, List<Tensor>> provider(boolean decoupled) {
        Knob<Double> weightDecay = decoupled
                ? Knob.real("weight_decay", 0.01, "decoupled weight decay: p shrinks by lr·weight_decay·p each step")
                : Knob.real("weight_decay", 0, "L2 penalty: weight_decay·p is added to the gradient");
        List<Knob<?>> knobs = List.of(
                Knob.real("lr", 1e-3, "learning rate").positive(),
                Knob.real("beta1", 0.9, "decay rate of the running mean of gradients").between(0, 1, false),
                Knob.real("beta2", 0.999, "decay rate of the running mean of squared gradients").between(0, 1, false),
                Knob.real("eps", 1e-8, "added to the denominator for numerical stability").positive(),
                weightDecay.atLeast(0));
        return Provider.of(decoupled ? "AdamW: Adam with decoupled weight decay, as torch.optim.AdamW"
                : "Adam with optional L2 weight decay, as torch.optim.Adam", knobs,
                (settings, parameters) -> new Adam(settings, parameters, decoupled));
    }
}
