package betalab.sweep;

import betalab.api.registry.Registry;
import betalab.training.RunFiles;
import betalab.training.ConfigReader;
import betalab.training.TrainConfig;
import betalab.training.Trainer;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** Bandit training runs: each one the run directory {@code betalab train} writes, replayable alone. */
final class TrainRunner implements Runner<TrainConfig> {
    private final Registry registry;

    TrainRunner(Registry registry) {
        this.registry = registry;
    }

    /** Read by {@link ConfigReader} itself, so a sweep accepts exactly what {@code betalab train} does. */
    @Override
    public TrainConfig resolve(ObjectNode tree) {
        Path file = null;
        try {
            file = Files.createTempFile("betalab-sweep-", ".json");
            RunFiles.writeJson(file, tree);
            return ConfigReader.read(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (IllegalArgumentException e) {
            // The temporary file's name and line mean nothing to the user; the field does.
            String where = "^" + Pattern.quote(String.valueOf(file)) + "(:\\d+)?: ";
            throw new IllegalArgumentException(e.getMessage().replaceFirst(where, ""), e);
        } finally {
            if (file != null) {
                file.toFile().delete();
            }
        }
    }

    @Override
    public TrainConfig stored(Path dir) {
        Path config = dir.resolve("config.json");
        try {
            return Files.exists(config) ? ConfigReader.read(config) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public void run(TrainConfig config, Path dir) {
        new Trainer(registry).train(config, dir);
    }
}
