package betalab.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTest {
    @TempDir
    Path dir;

    @Test
    void everyKthDocumentIsHeldOutAndBlankLinesAreSkipped() throws Exception {
        Path file = dir.resolve("c.txt");
        Files.writeString(file, "one\n\ntwo\n three \nfour\nfive\n", StandardCharsets.UTF_8);
        Corpus corpus = Corpus.read(file, 2);
        assertThat(corpus.train()).containsExactly("one", "three", "five");
        assertThat(corpus.validation()).containsExactly("two", "four");
    }

    @Test
    void anEmptyFileIsOneLineNamingIt() throws Exception {
        Path file = dir.resolve("empty.txt");
        Files.writeString(file, "\n  \n");
        assertThatThrownBy(() -> Corpus.read(file, 10)).hasMessage(file + ": is empty (a corpus holds one document a line)");
    }

    @Test
    void bytesThatAreNotUtf8AreReportedWithTheirLine() throws Exception {
        Path file = dir.resolve("latin1.txt");
        Files.write(file, new byte[] {'o', 'k', '\n', 'c', 'a', 'f', (byte) 0xE9, '\n'});
        assertThatThrownBy(() -> Corpus.read(file, 2))
                .hasMessage(file + ", line 2: is not UTF-8 (a malformed byte sequence near byte 4 of the line)");
    }

    @Test
    void tooFewDocumentsToHoldOneOutIsAnError() throws Exception {
        Path file = dir.resolve("short.txt");
        Files.writeString(file, "a\nb\n");
        assertThatThrownBy(() -> Corpus.read(file, 10)).hasMessageContaining("holds 2 document(s)");
    }

    @Test
    void theShippedCorpusHoldsOutEveryTenthAddress() {
        Corpus corpus = Corpus.read(Path.of("../../examples/data/sotu/state-of-the-union-1961-2021.txt"), 10);
        assertThat(corpus.validation()).hasSize(6);
        assertThat(corpus.train()).hasSize(56);
        assertThat(corpus.train().get(0)).startsWith("To the Congress of the United States:");
    }
}
