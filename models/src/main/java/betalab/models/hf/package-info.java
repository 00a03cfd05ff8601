/**
 * Hugging Face file formats: safetensors weights ({@link betalab.models.hf.SafeTensors}), a Llama
 * {@code config.json} ({@link betalab.models.hf.LlamaConfig}), {@code tokenizer.json} through the
 * Hugging Face tokenizers library ({@link betalab.models.hf.HfTokenizer}) and a byte-level BPE
 * tokenizer trained in Java that writes one ({@link betalab.models.hf.ByteLevelBpe}).
 */
package betalab.models.hf;
