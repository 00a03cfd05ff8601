package betalab.models.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** The files reference/pytorch/llama_reference.py wrote under test resources hf/ (see the README there). */
final class HfFixtures {
    static final ObjectMapper JSON = new ObjectMapper();

    private HfFixtures() {
    }

    static Path path(String relative) {
        URL url = HfFixtures.class.getResource("/hf/" + relative);
        if (url == null) {
            throw new IllegalStateException("test resource hf/" + relative + " is missing");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(String relative) {
        try {
            return JSON.readTree(path(relative).toFile());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
