package betalab.spark;

import betalab.sweep.RunAttempt;
import java.io.IOException;
import java.nio.file.Path;

final class RunAttemptFiles {
    private RunAttemptFiles() {
    }

    static void deleteTree(Path dir) throws IOException {
        RunAttempt.delete(dir);
    }
}
