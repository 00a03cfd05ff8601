package betalab.lm.task;

import betalab.api.policy.Policy;
import betalab.api.random.TorchRng;
import betalab.api.registry.Extensions;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.models.hf.ByteLevelBpe;
import betalab.models.hf.ByteLevelBpeTrainer;
import betalab.models.hf.LlamaConfig;
import betalab.models.transformer.LlamaModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the task tests share: a small corpus, and tiny Llama model directories with a byte-level BPE
 * tokenizer trained on given text (its last id the end-of-sequence token), laid out as betalab sft
 * leaves one; the registry with every extension the module path holds.
 */
final class LmFixture {
    static final Registry REGISTRY = Registry.of(Extensions.discover());
    static final String EOT = "<|endoftext|>";

    private static final String[] SUBJECTS = {"The people", "Our nation", "This plan", "The budget", "Every family",
        "The economy", "Our army", "The new law", "This country", "The treaty"};
    private static final String[] VERBS = {"will bring good jobs and great hope", "has failed and left bad debts",
        "is a strong and fair promise", "fears a terrible and costly war", "deserves our best and warmest thanks",
        "must end the cruel and bitter crisis"};

    private LmFixture() {
    }

    /** {@code count} documents of 6 sentences, each sentence 8 to 12 words, many with AFINN-scored ones. */
    static Path corpus(Path dir, int count) {
        List<String> documents = new ArrayList<>();
        for (int d = 0; d < count; d++) {
            StringBuilder doc = new StringBuilder();
            for (int s = 0; s < 6; s++) {
                doc.append(s == 0 ? "" : " ").append(SUBJECTS[(d + 3 * s) % SUBJECTS.length]).append(' ')
                        .append(VERBS[(d * 5 + s) % VERBS.length]).append(s % 2 == 0 ? "." : " for us all!");
            }
            documents.add(doc.toString());
        }
        Path file = dir.resolve("corpus.txt");
        write(file, String.join("\n", documents) + "\n");
        return file;
    }

    /** A model directory of a fresh tiny Llama (weights from {@code seed}) with a tokenizer of 300 ids trained on the corpus. */
    static Path model(Path dir, Path corpus, int maxPositions, long seed) {
        try {
            return model(dir, Files.readAllLines(corpus), 300, maxPositions, seed);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** As above, with a tokenizer of {@code vocabulary} ids (its last the end-of-sequence token) trained on {@code texts}. */
    static Path model(Path dir, List<String> texts, int vocabulary, int maxPositions, long seed) {
        ByteLevelBpe bpe = ByteLevelBpeTrainer.train(texts, vocabulary, List.of(EOT));
        LlamaConfig config = new LlamaConfig(bpe.vocabSize(), 16, 32, 1, 2, 1, maxPositions, 1e-6, 10000.0, false,
                0.2, null, List.of(bpe.id(EOT)), null, "float32");
        Path model = dir.resolve("model-" + vocabulary + "-" + seed);
        new LlamaModel(config, new TorchRng(seed), DType.FLOAT32).checkpoint().write(model);
        bpe.writeDirectory(model, Map.of("eos_token", EOT));
        return model;
    }

    /** The transformer policy loaded from a model directory, as a train config names it. */
    static Policy policy(Path model) {
        return REGISTRY.create(Policy.POINT, "transformer", Map.of("from", model.toString()),
                new Policy.Context(0, Map.of(), new TorchRng(0), DType.FLOAT32));
    }

    static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
