package betalab.api.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.random.JavaRng;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What every β scheme must do, for a β scheme's own test to extend (it ships in betalab-api's
 * test-jar): one finite β &gt; 0 per pair, {@code beta()} free of side effects, a training step that
 * returns the batch's β, gradients of its own parameters that match finite differences, and a state
 * that saves and restores exactly. Name the scheme in {@link #create}; batches are float64.
 */
public abstract class BetaEstimatorConformance {

    /** A new estimator, its parameters drawn from the context's generator, in the context's precision. */
    protected abstract BetaEstimator create(BetaEstimator.Context context);

    /** The prompt feature width of the test batches; 0 for none. */
    protected int featureDim() {
        return 3;
    }

    /** The policy representation width of the test batches; 0 for none. */
    protected int representationDim() {
        return 4;
    }

    /** Relative tolerance of the finite-difference check. */
    protected double gradientTolerance() {
        return 1e-5;
    }

    private BetaEstimator estimator(long seed) {
        return create(new BetaEstimator.Context(featureDim(), representationDim(), new JavaRng(seed), DType.FLOAT64));
    }

    private PreferenceBatch batch(long seed) {
        return TestBatches.random(7, featureDim(), representationDim(), seed);
    }

    @Test
    void givesOneFinitePositiveBetaPerPair() {
        Tensor beta = estimator(1).beta(batch(2));
        assertThat(beta.shape()).as("shape of β").containsExactly(7);
        for (double b : beta.toDoubleArray()) {
            assertThat(Double.isFinite(b) && b > 0).as("β = %s is finite and > 0", b).isTrue();
        }
    }

    @Test
    void betaHasNoSideEffects() {
        BetaEstimator e = estimator(1);
        PreferenceBatch batch = batch(2);
        Map<String, double[]> before = e.state();
        double[] first = e.beta(batch).toDoubleArray();
        double[] second = e.beta(batch).toDoubleArray();
        assertThat(second).as("β asked twice").containsExactly(first);
        assertSameState(e.state(), before);
    }

    @Test
    void aTrainingStepGivesTheBatchsBeta() {
        BetaEstimator.Estimate step = estimator(1).train(batch(2));
        assertThat(step.beta().shape()).containsExactly(7);
        for (double b : step.beta().toDoubleArray()) {
            assertThat(Double.isFinite(b) && b > 0).as("β = %s is finite and > 0", b).isTrue();
        }
        if (step.weights() != null) {
            assertThat(step.weights().shape()).containsExactly(7);
            for (double w : step.weights().toDoubleArray()) {
                assertThat(w).as("pair weight").isGreaterThanOrEqualTo(0);
            }
        }
        if (step.penalty() != null) {
            assertThat(step.penalty().size()).isEqualTo(1);
        }
    }

    /** d/dθ Σ_i w_i·β_i for fixed random w, against central differences on each parameter element. */
    @Test
    void gradientsOfItsParametersMatchFiniteDifferences() {
        BetaEstimator e = estimator(1);
        if (e.namedParameters().isEmpty()) {
            return; // nothing trainable: β carries no gradient to check
        }
        PreferenceBatch batch = batch(2);
        Tensor w = Tensor.of(DType.FLOAT64, new JavaRng(3).uniform(7, 0.5, 1.5), 7);
        e.namedParameters().values().forEach(t -> t.zeroGrad());
        e.beta(batch).mul(w).sum().backward();
        for (Map.Entry<String, Tensor> p : e.namedParameters().entrySet()) {
            Tensor parameter = p.getValue();
            double[] analytic = parameter.grad() == null ? new double[parameter.size()] : parameter.grad().toDoubleArray();
            double[] values = parameter.toDoubleArray();
            for (int j = 0; j < values.length; j++) {
                double x = values[j];
                double h = GradientCheck.STEP * Math.max(1.0, Math.abs(x));
                values[j] = x + h;
                double up = objective(e, parameter, values, batch, w);
                values[j] = x - h;
                double down = objective(e, parameter, values, batch, w);
                values[j] = x;
                parameter.copyInPlace(values);
                double numeric = (up - down) / (2 * h);
                double allowed = gradientTolerance() * Math.max(1, Math.max(Math.abs(analytic[j]), Math.abs(numeric)));
                assertThat(analytic[j]).as("d/d %s[%d]", p.getKey(), j).isCloseTo(numeric, within(allowed));
            }
        }
    }

    private static double objective(BetaEstimator e, Tensor parameter, double[] values, PreferenceBatch batch,
                                    Tensor w) {
        parameter.copyInPlace(values);
        try (var noGrad = Tensor.noGrad()) {
            return e.beta(batch).mul(w).sum().item();
        }
    }

    /**
     * After training steps, a new estimator given the saved state answers batches it has not seen
     * exactly as the trained one: running statistics count, not only parameters. (The run's
     * generator, which some schemes draw from, is saved by the run, not by the scheme.)
     */
    @Test
    void itsStateSavesAndRestoresExactly() {
        BetaEstimator trained = estimator(1);
        trained.train(batch(2));
        trained.train(batch(3));
        BetaEstimator fresh = estimator(99);
        fresh.loadState(trained.state());
        assertSameState(fresh.state(), trained.state());
        for (long seed : new long[] {4, 5}) {
            PreferenceBatch unseen = batch(seed);
            assertThat(fresh.beta(unseen).toDoubleArray()).containsExactly(trained.beta(unseen).toDoubleArray());
        }
    }

    private static void assertSameState(Map<String, double[]> actual, Map<String, double[]> expected) {
        assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        expected.forEach((name, values) -> assertThat(actual.get(name)).as("state '%s'", name).containsExactly(values));
    }
}
