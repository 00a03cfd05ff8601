package betalab.training;

import betalab.api.Stateful;
import betalab.api.optim.Optimizer;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A trainable small enough to follow by hand, for the loop's own tests: one scalar w (or none),
 * batch (epoch, position) standing for the target 10·epoch + position, loss (w − target)², and
 * metrics that count "pairs" so averages over pairs and over steps differ.
 */
class ToyTraining implements Trainable<int[]> {
    final Tensor w;
    private final int stepsPerEpoch;
    final List<String> batchesServed = new ArrayList<>();
    /** The step whose forward pass throws, with this message (null for none). */
    int failAt = -1;
    String failure = "boom";
    private int forwards;

    ToyTraining(boolean withParameter, int stepsPerEpoch) {
        this.w = withParameter ? Tensor.of(DType.FLOAT64, new double[] {0.5}, 1).asParameter() : null;
        this.stepsPerEpoch = stepsPerEpoch;
    }

    @Override
    public Map<String, Tensor> parameters() {
        return w == null ? Map.of() : Map.of("w", w);
    }

    @Override
    public int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    @Override
    public void batches(int epoch, int skip, Predicate<int[]> step) {
        for (int position = skip; position < stepsPerEpoch; position++) {
            batchesServed.add(epoch + ":" + position);
            if (!step.test(new int[] {epoch, position})) {
                return;
            }
        }
    }

    @Override
    public StepResult forward(int[] batch) {
        if (++forwards == failAt) {
            throw failure == null ? new IllegalStateException() : new IllegalStateException(failure);
        }
        double target = 10 * batch[0] + batch[1];
        Tensor t = Tensor.of(DType.FLOAT64, new double[] {target}, 1);
        Tensor loss = w == null ? t.mul(t).sum() : w.sub(t).square().sum();
        // Step k (from 1) counts k pairs, each with value k: a mean over pairs weighs later steps more.
        int step = forwards;
        return new StepResult(loss, Map.of(), new Count(step, step));
    }

    /** Sums values over "pairs": m/mean is the mean over pairs. */
    static final class Count implements StepMetrics {
        double sum;
        long pairs;

        Count(double value, long pairs) {
            this.sum = value * pairs;
            this.pairs = pairs;
        }

        @Override
        public void add(StepMetrics other) {
            sum += ((Count) other).sum;
            pairs += ((Count) other).pairs;
        }

        @Override
        public Map<String, Double> values() {
            return Map.of("m/mean", sum / pairs);
        }
    }

    /** Plain SGD on the given parameters, as torch.optim.SGD without momentum. */
    static Optimizer sgd(Map<String, Tensor> parameters, double lr) {
        List<Tensor> ps = List.copyOf(parameters.values());
        return new Optimizer() {
            private double rate = lr;

            @Override
            public void step() {
                try (var noGrad = Tensor.noGrad()) {
                    ps.forEach(p -> p.addInPlace(p.grad(), -rate));
                }
            }

            @Override
            public void zeroGrad() {
                ps.forEach(Tensor::zeroGrad);
            }

            @Override
            public double learningRate() {
                return rate;
            }

            @Override
            public void learningRate(double newRate) {
                rate = newRate;
            }

            @Override
            public Map<String, double[]> state() {
                return Map.of();
            }

            @Override
            public void loadState(Map<String, double[]> state) {
            }
        };
    }

    /** A stateful value, for checkpoints. */
    static final class Box implements Stateful {
        double[] values;

        Box(double... values) {
            this.values = values;
        }

        @Override
        public Map<String, double[]> state() {
            Map<String, double[]> m = new LinkedHashMap<>();
            m.put("values", values.clone());
            return m;
        }

        @Override
        public void loadState(Map<String, double[]> state) {
            values = Stateful.entry(state, "values", values.length).clone();
        }
    }
}
