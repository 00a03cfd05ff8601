package betalab.api.tensor;

/** A NaN or infinity where a finite number is required; the message names the step and the quantity. */
public final class NonFiniteValueException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final long step;
    private final String quantity;

    public NonFiniteValueException(long step, String quantity) {
        super("non-finite " + quantity + " at step " + step);
        this.step = step;
        this.quantity = quantity;
    }

    public long step() {
        return step;
    }

    public String quantity() {
        return quantity;
    }
}
