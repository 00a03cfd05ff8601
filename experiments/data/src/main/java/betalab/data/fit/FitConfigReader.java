package betalab.data.fit;

import betalab.training.ConfigReader;
import java.nio.file.Path;

/**
 * Reads a {@link FitConfig} from YAML ({@code .yaml}, {@code .yml}) or JSON, as strictly as a
 * training config: every failure is one line naming the file, the line where known, and the field.
 * A relative data path is taken from the config file's folder.
 */
public final class FitConfigReader {
    private FitConfigReader() {
    }

    public static FitConfig read(Path file) {
        return ConfigReader.read(file, FitConfig.class).relativeTo(file.toAbsolutePath().getParent());
    }
}
