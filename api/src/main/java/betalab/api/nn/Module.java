package betalab.api.nn;

import betalab.api.Stateful;
import betalab.api.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A differentiable building block with named parameters, as {@code torch.nn.Module}: subclasses
 * register parameters and child modules in their constructor and write the forward computation;
 * gradients come from {@link Tensor#backward()}.
 */
public abstract class Module implements Stateful {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();

    /** Registers a trainable parameter initialised to {@code initial}; returns it. */
    protected final Tensor parameter(String name, Tensor initial) {
        Tensor p = initial.asParameter();
        if (parameters.putIfAbsent(name, p) != null || children.containsKey(name)) {
            throw new IllegalArgumentException("duplicate parameter name '" + name + "'");
        }
        return p;
    }

    /** Registers a child module whose parameters become this module's, prefixed by its name. */
    protected final <M extends Module> M child(String name, M module) {
        if (children.putIfAbsent(name, module) != null || parameters.containsKey(name)) {
            throw new IllegalArgumentException("duplicate child name '" + name + "'");
        }
        return module;
    }

    /** Every parameter, named by its path ("layer0.weight"), in registration order. */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> all = new LinkedHashMap<>(parameters);
        children.forEach((prefix, child) ->
                child.namedParameters().forEach((name, p) -> all.put(prefix + "." + name, p)));
        return Collections.unmodifiableMap(all);
    }

    public final List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    public final void zeroGrad() {
        parameters().forEach(Tensor::zeroGrad);
    }

    /** Every parameter's values, by path. Subclasses with running statistics add theirs. */
    @Override
    public Map<String, double[]> state() {
        Map<String, double[]> state = new LinkedHashMap<>();
        namedParameters().forEach((name, p) -> state.put(name, p.toDoubleArray()));
        return state;
    }

    @Override
    public void loadState(Map<String, double[]> state) {
        namedParameters().forEach((name, p) -> p.copyInPlace(Stateful.entry(state, name, p.size())));
    }
}
