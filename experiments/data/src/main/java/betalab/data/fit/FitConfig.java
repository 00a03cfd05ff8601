package betalab.data.fit;

import betalab.training.Checks;
import betalab.data.DataFormat;
import betalab.training.ComponentConfig;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;

/**
 * An offline β fit: a β scheme trained by a preference loss on log-probabilities and prompt
 * features a user precomputed. Read from YAML or JSON by {@link FitConfigReader}, written back
 * resolved (every default filled in, the data path absolute) into the run directory.
 *
 * @param data               the preference file and how to read it
 * @param seed               seeds the β scheme's initial weights and the shuffling
 * @param rng                "torch" (PyTorch's CPU generator) or "java"
 * @param epochs             passes over the training pairs
 * @param batchSize          pairs per step
 * @param logEvery           steps per row of training metrics (each row averages them); an epoch's last step always logs
 * @param shuffleBuffer      pairs held to shuffle the stream; 0 keeps file order
 * @param validationFraction share of prompts held out; a pair's side is a fixed hash of its prompt
 * @param gradClip           largest global gradient norm; 0 turns clipping off
 * @param beta               the β scheme by registry name with its knobs
 * @param loss               the preference loss by name with its knobs
 * @param optimizer          the optimizer by name with its knobs
 */
public record FitConfig(DataConfig data, long seed, String rng, int epochs, @JsonProperty("batch_size") int batchSize,
                        @JsonProperty("log_every") int logEvery, @JsonProperty("shuffle_buffer") int shuffleBuffer,
                        @JsonProperty("validation_fraction") double validationFraction,
                        @JsonProperty("grad_clip") double gradClip, ComponentConfig beta, ComponentConfig loss,
                        ComponentConfig optimizer) {

    public FitConfig {
        Checks.require(rng.equals("torch") || rng.equals("java"), "rng", "torch or java", rng);
        Checks.require(epochs >= 1, "epochs", "≥ 1", epochs);
        Checks.require(batchSize >= 1, "batch_size", "≥ 1", batchSize);
        Checks.require(logEvery >= 1, "log_every", "≥ 1", logEvery);
        Checks.require(shuffleBuffer >= 0, "shuffle_buffer", "≥ 0", shuffleBuffer);
        Checks.require(validationFraction >= 0 && validationFraction < 1, "validation_fraction", "in [0, 1)",
                validationFraction);
        Checks.require(gradClip >= 0 && Double.isFinite(gradClip), "grad_clip", "≥ 0", gradClip);
    }

    /**
     * Where the pairs are and how to read them.
     *
     * @param path          the JSON Lines file; relative paths are taken from the config file's folder
     * @param format        trl, conversational or hh
     * @param features      the field holding each prompt's feature vector, or null for none
     * @param skipIdentical skip pairs whose chosen and rejected completions are the same, instead of failing
     */
    public record DataConfig(String path, String format, String features,
                             @JsonProperty("skip_identical") boolean skipIdentical) {

        public DataConfig {
            DataFormat.named(format);
        }

        @JsonCreator
        static DataConfig fromConfig(@JsonProperty("path") String path, @JsonProperty("format") String format,
                                     @JsonProperty("features") String features,
                                     @JsonProperty("skip_identical") Boolean skipIdentical) {
            if (path == null || path.isBlank()) {
                throw new IllegalArgumentException("missing field 'path'");
            }
            return new DataConfig(path, format == null ? "trl" : format, features,
                    skipIdentical != null && skipIdentical);
        }

        /** The format, parsed. */
        public DataFormat dataFormat() {
            return DataFormat.named(format);
        }

        /** The same data with a relative path resolved against {@code folder}. */
        DataConfig relativeTo(Path folder) {
            Path p = Path.of(path);
            return p.isAbsolute() || folder == null ? this
                    : new DataConfig(folder.resolve(p).normalize().toAbsolutePath().toString(), format, features,
                            skipIdentical);
        }
    }

    /** From a config file: {@code data}, {@code epochs}, {@code beta}, {@code loss} and {@code optimizer} are required. */
    @JsonCreator
    static FitConfig fromConfig(@JsonProperty("data") DataConfig data, @JsonProperty("seed") Long seed,
                                @JsonProperty("rng") String rng, @JsonProperty("epochs") Integer epochs,
                                @JsonProperty("batch_size") Integer batchSize,
                                @JsonProperty("log_every") Integer logEvery,
                                @JsonProperty("shuffle_buffer") Integer shuffleBuffer,
                                @JsonProperty("validation_fraction") Double validationFraction,
                                @JsonProperty("grad_clip") Double gradClip,
                                @JsonProperty("beta") ComponentConfig beta, @JsonProperty("loss") ComponentConfig loss,
                                @JsonProperty("optimizer") ComponentConfig optimizer) {
        require(data, "data");
        require(epochs, "epochs");
        require(beta, "beta");
        require(loss, "loss");
        require(optimizer, "optimizer");
        return new FitConfig(data, seed == null ? 0 : seed, rng == null ? "torch" : rng, epochs,
                batchSize == null ? 64 : batchSize, logEvery == null ? 10 : logEvery,
                shuffleBuffer == null ? 10_000 : shuffleBuffer, validationFraction == null ? 0.1 : validationFraction,
                gradClip == null ? 0 : gradClip, beta, loss, optimizer);
    }

    /** This config with its data path resolved against {@code folder}. */
    FitConfig relativeTo(Path folder) {
        return new FitConfig(data.relativeTo(folder), seed, rng, epochs, batchSize, logEvery, shuffleBuffer,
                validationFraction, gradClip, beta, loss, optimizer);
    }

    private static void require(Object section, String name) {
        if (section == null) {
            throw new IllegalArgumentException("missing field '" + name + "'");
        }
    }
}
