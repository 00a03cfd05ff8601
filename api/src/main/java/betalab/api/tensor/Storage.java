package betalab.api.tensor;

/**
 * A flat, row-major block of numbers owned by one backend. Tensors add shape and gradients on
 * top; only the backend that made a storage may read or write it.
 */
public interface Storage {
    int size();

    DType dtype();

    TensorBackend backend();
}
