package betalab.optim;

import betalab.api.optim.Optimizer;
import betalab.api.registry.Knob;
import betalab.api.registry.Provider;
import betalab.api.registry.Settings;
import betalab.api.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
 * decay, step for step as {@code torch.optim.SGD} (1.13, single-tensor path):
 * d = g + wd·p; b = d on the first step, else momentum·b + (1 − dampening)·d;
 * d = d + momentum·b (Nesterov) or b; p ← p − lr·d.
 */
public final class Sgd extends ParameterOptimizer {
    private static final List<Knob<?>> KNOBS = List.of(
            Knob.real("lr", 0.01, "learning rate (torch has no default and requires it; 0.01 here)").positive(),
            Knob.real("momentum", 0, "momentum factor; 0 turns momentum off").atLeast(0),
            Knob.real("dampening", 0, "dampening of momentum: the new gradient enters with weight 1 − dampening"),
            Knob.real("weight_decay", 0, "L2 penalty: weight_decay·p is added to the gradient").atLeast(0),
            Knob.flag("nesterov", false, "Nesterov momentum (needs momentum > 0 and dampening = 0)"));

    private double lr;
    private final double momentum;
    private final double dampening;
    private final double weightDecay;
    private final boolean nesterov;
    /** Momentum buffers, made on a parameter's first step. */
    private final Tensor[] buffers;
    /** Per parameter, room for d when it is neither the gradient nor the buffer, reused every step. */
    private final Tensor[] scratch;

    Sgd(Settings settings, List<Tensor> parameters) {
        super(parameters);
        lr = settings.real("lr");
        momentum = settings.real("momentum");
        dampening = settings.real("dampening");
        weightDecay = settings.real("weight_decay");
        nesterov = settings.flag("nesterov");
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("sgd: knob 'nesterov' needs momentum > 0 and dampening = 0, got momentum "
                    + momentum + " and dampening " + dampening);
        }
        buffers = new Tensor[parameterCount()];
        scratch = new Tensor[parameterCount()];
    }

    @Override
    void update(int i, Tensor p, Tensor grad) {
        Tensor d = grad;
        if (weightDecay != 0) {
            d = scratch(i, p).copyInPlace(grad).addInPlace(p, weightDecay);
        }
        if (momentum != 0) {
            Tensor buf = buffers[i];
            if (buf == null) {
                buf = p.zerosLike().copyInPlace(d);
                buffers[i] = buf;
            } else {
                buf.scaleInPlace(momentum).addInPlace(d, 1 - dampening);
            }
            if (nesterov) {
                d = (d == grad ? scratch(i, p).copyInPlace(grad) : d).addInPlace(buf, momentum);
            } else {
                d = buf;
            }
        }
        p.addInPlace(d, -lr);
    }

    /** Per parameter i with momentum: "i.momentum_buffer", as torch names it. */
    @Override
    public Map<String, double[]> state() {
        Map<String, double[]> state = new LinkedHashMap<>();
        for (int i = 0; i < buffers.length; i++) {
            if (buffers[i] != null) {
                state.put(i + ".momentum_buffer", buffers[i].toDoubleArray());
            }
        }
        return state;
    }

    @Override
    public void loadState(Map<String, double[]> state) {
        for (int i = 0; i < buffers.length; i++) {
            buffers[i] = state.containsKey(i + ".momentum_buffer") ? restored(state, i, "momentum_buffer") : null;
        }
    }

    private Tensor scratch(int i, Tensor p) {
        if (scratch[i] == null) {
            scratch[i] = p.zerosLike();
        }
        return scratch[i];
    }

    @Override
    public double learningRate() {
        return lr;
    }

    @Override
    public void learningRate(double lr) {
        this.lr = checkedRate(lr);
    }

    /** "sgd". */
    static Provider<Optimizer, List<Tensor>> provider() {
        return Provider.of("SGD with optional momentum, Nesterov momentum and L2 weight decay, as torch.optim.SGD",
                KNOBS, Sgd::new);
    }
}
