package betalab.training;

/**
 * Hears the one training loop: checks, gradient clipping, metrics, evaluation, checkpoints and run
 * records are all listeners, attached in the order they act (DJL's TrainingListener is the model).
 */
public interface TrainingListener {

    /** Before the first step of this process (a resumed run starts after its checkpoint). */
    default void onStart(Progress progress) {
    }

    /** After a step's forward pass, before its backward pass. */
    default void afterForward(Progress progress, StepResult result) {
    }

    /** After the backward pass: the gradients are there, the parameters not yet updated. */
    default void afterBackward(Progress progress) {
    }

    /**
     * After the update of step {@code progress.step()}, and once for step 0 at the start of a new run;
     * listeners add what they measured to {@code progress.row()}.
     */
    default void onStepEnd(Progress progress) {
    }

    /** When the run stops: "completed", "interrupted", or "failed" with the error. */
    default void onEnd(Progress progress, String status, RuntimeException error) {
    }
}
