package betalab.api.tensor.jvm;

import betalab.api.tensor.DType;
import betalab.api.tensor.Storage;
import betalab.api.tensor.TensorBackend;

/** Storage of the JVM backend: a {@code double[]} whose values are float-representable for float32. */
final class JvmStorage implements Storage {
    final double[] data;
    private final DType dtype;
    private final TensorBackend backend;

    JvmStorage(TensorBackend backend, double[] data, DType dtype) {
        this.backend = backend;
        this.data = data;
        this.dtype = dtype;
    }

    /** Takes ownership of {@code data}, rounding it to float precision for float32. */
    static JvmStorage rounded(TensorBackend backend, double[] data, DType dtype) {
        JvmStorage s = new JvmStorage(backend, data, dtype);
        s.round();
        return s;
    }

    void round() {
        if (dtype == DType.FLOAT32) {
            for (int i = 0; i < data.length; i++) {
                data[i] = (float) data[i];
            }
        }
    }

    @Override
    public int size() {
        return data.length;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public TensorBackend backend() {
        return backend;
    }
}
