package betalab.api.tensor;

/** Element-wise functions a backend evaluates, each with its derivative, in one call per tensor. */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT, ABS, SQUARE, RELU, SIGMOID, TANH,
    /** log(1 + e^x), stable for any x. */
    SOFTPLUS,
    /** log σ(x) = −softplus(−x), stable for any x. */
    LOG_SIGMOID
}
