package betalab.api.tensor;

/** Element precision of a tensor. Float32 is the default, as in PyTorch. */
public enum DType {
    FLOAT32,
    FLOAT64;

    /** The wider of two precisions: mixing float32 with float64 yields float64. */
    public static DType widest(DType a, DType b) {
        return a == FLOAT64 || b == FLOAT64 ? FLOAT64 : FLOAT32;
    }
}
