package betalab.models.hf;

/**
 * A Hugging Face file (safetensors, config.json, tokenizer.json) that cannot be used: the message
 * is one line naming the file and the tensor, field or token at fault. An
 * {@link IllegalArgumentException}, so commands report it as bad input.
 */
public class HfFormatException extends IllegalArgumentException {
    public HfFormatException(String message) {
        super(message);
    }

    public HfFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
