package betalab.training;

import betalab.api.optim.Optimizer;
import betalab.api.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/** Where the training loop is, as its listeners see it. */
public final class Progress {
    private final Map<String, Tensor> parameters;
    private final Optimizer optimizer;
    private final int steps;
    private final int stepsPerEpoch;
    private int step;
    private Map<String, Object> row = new LinkedHashMap<>();
    private double gradNorm = Double.NaN;

    Progress(Map<String, Tensor> parameters, Optimizer optimizer, int steps, int stepsPerEpoch) {
        this.parameters = parameters;
        this.optimizer = optimizer;
        this.steps = steps;
        this.stepsPerEpoch = stepsPerEpoch;
    }

    void begin(int newStep) {
        step = newStep;
        row = new LinkedHashMap<>();
        row.put("step", step);
        row.put("epoch", epoch());
        gradNorm = Double.NaN;
    }

    /** The global gradient norm of this step before clipping, once measured; NaN before. */
    public double gradNorm() {
        return gradNorm;
    }

    void gradNorm(double norm) {
        gradNorm = norm;
    }

    /** The step being taken or just taken; 0 before the first. */
    public int step() {
        return step;
    }

    /** The epoch the step belongs to, from 1; 0 before the first step. */
    public int epoch() {
        return step == 0 ? 0 : (step - 1) / stepsPerEpoch + 1;
    }

    /** The run's total steps. */
    public int steps() {
        return steps;
    }

    public int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    /** Whether this step ends an epoch or the run. */
    public boolean endsEpoch() {
        return step > 0 && (step % stepsPerEpoch == 0 || step == steps);
    }

    /** The trained parameters by name. */
    public Map<String, Tensor> parameters() {
        return parameters;
    }

    /** The optimizer, or null when there is nothing to train. */
    public Optimizer optimizer() {
        return optimizer;
    }

    /** This step's row of metrics: step, epoch, and whatever listeners add. */
    public Map<String, Object> row() {
        return row;
    }
}
