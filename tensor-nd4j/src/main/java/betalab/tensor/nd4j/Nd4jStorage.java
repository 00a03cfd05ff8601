package betalab.tensor.nd4j;

import betalab.api.tensor.DType;
import betalab.api.tensor.Storage;
import betalab.api.tensor.TensorBackend;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Storage of the ND4J backend: a row-major INDArray of FLOAT or DOUBLE that no other storage
 * shares. It keeps the shape of the kernel that made it; kernels view it in the shape they need.
 */
final class Nd4jStorage implements Storage {
    final INDArray array;
    private final TensorBackend backend;

    Nd4jStorage(TensorBackend backend, INDArray array) {
        this.backend = backend;
        this.array = array;
    }

    @Override
    public int size() {
        return (int) array.length();
    }

    @Override
    public DType dtype() {
        return array.dataType() == DataType.DOUBLE ? DType.FLOAT64 : DType.FLOAT32;
    }

    @Override
    public TensorBackend backend() {
        return backend;
    }
}
