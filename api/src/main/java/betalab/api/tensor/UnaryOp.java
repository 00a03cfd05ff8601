package betalab.api.tensor;

/** Element-wise functions a backend evaluates, each with its derivative, in one call per tensor. */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT, ABS, SQUARE, RELU, SIGMOID, TANH,
    /** log(1 + e^x), stable for any x. */
    SOFTPLUS,
    /** log σ(x) = −softplus(−x), stable for any x. */
    LOG_SIGMOID,
    /** x·σ(x) (swish), the gate of Llama's MLP. */
    SILU,
    /** GELU in its tanh form, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), as PyTorch's gelu(approximate="tanh"). */
    GELU_TANH
}
