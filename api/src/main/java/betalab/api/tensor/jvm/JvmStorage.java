package betalab.api.tensor.jvm;

import betalab.api.tensor.DType;
import betalab.api.tensor.Storage;
import betalab.api.tensor.TensorBackend;

/**
 * Storage of the JVM backend: a {@code float[]} for float32, a {@code double[]} for float64, so a
 * float32 value is a float by construction and float32 kernels move half the bytes. Exactly one of
 * the two arrays is set.
 */
final class JvmStorage implements Storage {
    /** The values of a float32 storage, else null. */
    final float[] f;
    /** The values of a float64 storage, else null. */
    final double[] d;
    private final TensorBackend backend;

    private JvmStorage(TensorBackend backend, float[] f, double[] d) {
        this.backend = backend;
        this.f = f;
        this.d = d;
    }

    /** Takes ownership of {@code values}. */
    static JvmStorage of(TensorBackend backend, float[] values) {
        return new JvmStorage(backend, values, null);
    }

    /** Takes ownership of {@code values}. */
    static JvmStorage of(TensorBackend backend, double[] values) {
        return new JvmStorage(backend, null, values);
    }

    /** Takes ownership of {@code values} for float64; rounds them into a new float array for float32. */
    static JvmStorage rounded(TensorBackend backend, double[] values, DType dtype) {
        return dtype == DType.FLOAT64 ? of(backend, values) : of(backend, narrow(values));
    }

    /** The values in double precision: the array itself for float64, a widened copy for float32. */
    double[] doubles() {
        return d != null ? d : widen(f);
    }

    static double[] widen(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    static float[] narrow(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }

    @Override
    public int size() {
        return f != null ? f.length : d.length;
    }

    @Override
    public DType dtype() {
        return f != null ? DType.FLOAT32 : DType.FLOAT64;
    }

    @Override
    public TensorBackend backend() {
        return backend;
    }
}
