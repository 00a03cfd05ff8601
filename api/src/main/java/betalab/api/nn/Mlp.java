package betalab.api.nn;

import betalab.api.random.Rng;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/** Linear layers with an activation between them (none after the last), like {@code nn.Sequential}. */
public final class Mlp extends Module {
    private final List<Linear> layers = new ArrayList<>();
    private final Activation activation;

    /** Layers in → hidden[0] → … → out, created (and so initialised) in that order. */
    public Mlp(int in, int[] hidden, int out, Activation activation, Rng rng, DType dtype) {
        this.activation = activation;
        int width = in;
        for (int h : hidden) {
            layers.add(child("layer" + layers.size(), new Linear(width, h, rng, dtype)));
            width = h;
        }
        layers.add(child("layer" + layers.size(), new Linear(width, out, rng, dtype)));
    }

    public Tensor forward(Tensor x) {
        Tensor h = x;
        for (int i = 0; i < layers.size(); i++) {
            h = layers.get(i).forward(h);
            if (i < layers.size() - 1) {
                h = activation.apply(h);
            }
        }
        return h;
    }
}
