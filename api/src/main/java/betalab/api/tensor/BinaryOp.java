package betalab.api.tensor;

/** Element-wise operators of two tensors, with NumPy broadcasting. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV,
    /** 1 where left &gt; right, else 0. Not differentiable. */
    GREATER
}
