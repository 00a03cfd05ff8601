package betalab.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import betalab.data.PreferenceRecord.Column;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PreferenceReaderTest {
    private static final Set<Column> NONE = Set.of();
    private static final String GOOD = "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\", "
            + "\"policy_chosen_logps\": -1, \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1.5, "
            + "\"ref_rejected_logps\": -1.5, \"emb\": [1, 2, 3]}";

    @TempDir
    Path dir;

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(PreferenceReaderTest.class.getResource("/data/" + name).toURI());
    }

    private static List<PreferenceRecord> readAll(PreferenceReader reader) {
        List<PreferenceRecord> records = new ArrayList<>();
        reader.read(records::add);
        return records;
    }

    @Test
    void readsTrlsStandardFormWithPrecomputedColumnsAndFeatures() throws Exception {
        PreferenceReader reader = new PreferenceReader(resource("trl.jsonl"), DataFormat.TRL, "emb",
                EnumSet.range(Column.POLICY_CHOSEN_LOGPS, Column.REJECTED_LENGTH), false);
        List<PreferenceRecord> records = readAll(reader);

        assertThat(records).hasSize(3);
        PreferenceRecord first = records.get(0);
        assertThat(first.line()).isEqualTo(1);
        assertThat(List.of(first.prompt(), first.chosen(), first.rejected())).containsExactly("What is 2 + 2?", "4.",
                "5.");
        assertThat(first.get(Column.POLICY_CHOSEN_LOGPS)).isEqualTo(-1.5);
        assertThat(first.get(Column.REF_REJECTED_LOGPS)).isEqualTo(-2.5);
        assertThat(first.get(Column.REJECTED_LENGTH)).isEqualTo(2);
        assertThat(first.has(Column.PROMPT_LOGPS)).isFalse();
        assertThat(first.features()).containsExactly(0.1, 0.2, 0.3);
        assertThat(records.get(1).features()).containsExactly(-1, 0, 1e-3);
        assertThat(records.get(2).line()).isEqualTo(3);
    }

    @Test
    void readsTrlsConversationalFormOneMessageALine() throws Exception {
        List<PreferenceRecord> records = readAll(new PreferenceReader(resource("conversational.jsonl"),
                DataFormat.CONVERSATIONAL, null, NONE, false));

        assertThat(records.get(0).prompt()).isEqualTo("system: Be brief.\nuser: What colour is the sky?");
        assertThat(records.get(0).chosen()).isEqualTo("assistant: Blue.");
        assertThat(records.get(0).get(Column.REF_CHOSEN_LOGPS)).isEqualTo(-3.5);
        assertThat(records.get(0).has(Column.POLICY_CHOSEN_LOGPS)).isFalse();
        assertThat(records.get(1).rejected()).isEqualTo("assistant: 6");
        assertThat(records.get(1).features()).isNull();
    }

    @Test
    void splitsAnthropicHhDialoguesAtTheLastAssistantTurn() throws Exception {
        List<PreferenceRecord> records = readAll(new PreferenceReader(resource("hh.jsonl"), DataFormat.HH, null,
                NONE, false));

        assertThat(records.get(0).prompt()).isEqualTo("\n\nHuman: Can you help me?\n\nAssistant: Sure.\n\nHuman: "
                + "What is the capital of France?\n\nAssistant:");
        assertThat(records.get(0).chosen()).isEqualTo(" Paris.");
        assertThat(records.get(0).rejected()).isEqualTo(" I would rather not say.");
        assertThat(records.get(1).prompt()).isEqualTo("\n\nHuman: Say hi.\n\nAssistant:");
    }

    /** Each bad input, as line 2 after a good line 1, fails with one line naming the file, the line and the field. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "non-finite log-probability|`{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\", \"policy_chosen_logps\": NaN, \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1, \"ref_rejected_logps\": -1, \"emb\": [1, 2, 3]}`|line 2: field 'policy_chosen_logps' must be a finite number, got NaN",
        "feature finite in double, not in float32|`{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\", \"policy_chosen_logps\": -1, \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1, \"ref_rejected_logps\": -1, \"emb\": [1, 1e39, 3]}`|line 2: field 'emb[1]' must be finite in float32 (at most 3.4028235E38 in size), got 1e39",
        "log-probability finite in double, not in float32|`{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\", \"policy_chosen_logps\": -1, \"policy_rejected_logps\": -1e308, \"ref_chosen_logps\": -1, \"ref_rejected_logps\": -1, \"emb\": [1, 2, 3]}`|line 2: field 'policy_rejected_logps' must be finite in float32 (at most 3.4028235E38 in size), got -1e308",
        "length just beyond float32|`{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\", \"policy_chosen_logps\": -1, \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1, \"ref_rejected_logps\": -1, \"chosen_length\": 3.41e38, \"rejected_length\": 3, \"emb\": [1, 2, 3]}`|line 2: field 'chosen_length' must be finite in float32 (at most 3.4028235E38 in size), got 3.41e38",
        "non-finite feature|`{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\", \"policy_chosen_logps\": -1, \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1, \"ref_rejected_logps\": -1, \"emb\": [1, -Infinity, 3]}`|line 2: field 'emb[1]' must be a finite number, got -Infinity",
        "ragged feature vector|`{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\", \"policy_chosen_logps\": -1, \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1, \"ref_rejected_logps\": -1, \"emb\": [1, 2]}`|line 2: field 'emb' has 2 numbers, expected 3 as on line 1",
        "chosen equal to rejected|`{\"prompt\": \"q\", \"chosen\": \"same\", \"rejected\": \"same\", \"policy_chosen_logps\": -1, \"policy_rejected_logps\": -1, \"ref_chosen_logps\": -1, \"ref_rejected_logps\": -1, \"emb\": [1, 2, 3]}`|line 2: fields 'chosen' and 'rejected' hold the same completion, a pair that prefers nothing (h = 0 under any policy); set skip_identical to skip such pairs",
        "missing text field|`{\"prompt\": \"q\", \"chosen\": \"a\", \"policy_chosen_logps\": -1, \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1, \"ref_rejected_logps\": -1, \"emb\": [1, 2, 3]}`|line 2: field 'rejected' is missing (format trl)",
        "missing required column|`{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\", \"policy_chosen_logps\": -1, \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1, \"emb\": [1, 2, 3]}`|line 2: field 'ref_rejected_logps' is missing",
        "missing features|`{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\", \"policy_chosen_logps\": -1, \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1, \"ref_rejected_logps\": -1}`|line 2: field 'emb' is missing (the prompt's feature vector)",
        "malformed JSON|`{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": `|line 2: malformed JSON at column 44: Unexpected end-of-input",
        "not an object|`[1, 2, 3]`|line 2: expected a JSON object",
        "blank line|`   `|line 2: blank line (every line must hold one pair)",
        "text given as messages|`{\"prompt\": \"q\", \"chosen\": [{\"role\": \"assistant\", \"content\": \"a\"}], \"rejected\": \"b\"}`|line 2: field 'chosen' must be text, got a list (for lists of messages use format conversational)",
        "number given as text|`{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\", \"policy_chosen_logps\": \"-1.0\", \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1, \"ref_rejected_logps\": -1, \"emb\": [1, 2, 3]}`|line 2: field 'policy_chosen_logps' must be a number, got \"-1.0\"",
        "length not positive|`{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\", \"policy_chosen_logps\": -1, \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1, \"ref_rejected_logps\": -1, \"chosen_length\": 0, \"rejected_length\": 3, \"emb\": [1, 2, 3]}`|line 2: field 'chosen_length' must be > 0, got 0",
        "half of a column pair|`{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\", \"policy_chosen_logps\": -1, \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1, \"ref_rejected_logps\": -1, \"chosen_length\": 4, \"emb\": [1, 2, 3]}`|line 2: field 'rejected_length' is missing; it goes with 'chosen_length', which is given",
        "field twice|`{\"prompt\": \"q\", \"chosen\": \"a\", \"chosen\": \"c\", \"rejected\": \"b\"}`|line 2: field 'chosen' appears twice",
        "empty feature vector|`{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\", \"policy_chosen_logps\": -1, \"policy_rejected_logps\": -2, \"ref_chosen_logps\": -1, \"ref_rejected_logps\": -1, \"emb\": []}`|line 2: field 'emb' is an empty list; the prompt's features need at least one number"})
    void refusesBadInputNamingFileLineAndField(String what, String badLine, String message) throws IOException {
        Path file = Files.writeString(dir.resolve("pairs.jsonl"), GOOD + "\n" + badLine + "\n" + GOOD + "\n");
        PreferenceReader reader = new PreferenceReader(file, DataFormat.TRL, "emb", EnumSet.range(
                Column.POLICY_CHOSEN_LOGPS, Column.REF_REJECTED_LOGPS), false);

        assertThatThrownBy(() -> reader.read(r -> { })).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(file + ", " + message).hasMessageNotContaining("\n");
    }

    /** float32's largest finite value is the edge: it and its negative pass, as do numbers that underflow there. */
    @Test
    void acceptsEveryNumberFiniteInFloat32() throws IOException {
        Path file = Files.writeString(dir.resolve("pairs.jsonl"), "{\"prompt\": \"q\", \"chosen\": \"a\", "
                + "\"rejected\": \"b\", \"policy_chosen_logps\": -3.4028235e38, \"policy_rejected_logps\": -1e-50, "
                + "\"ref_chosen_logps\": -1, \"ref_rejected_logps\": -1, \"emb\": [3.4028235e38, -3.4028235e38, 1e-300]}\n");
        PreferenceReader reader = new PreferenceReader(file, DataFormat.TRL, "emb", EnumSet.range(
                Column.POLICY_CHOSEN_LOGPS, Column.REF_REJECTED_LOGPS), false);

        PreferenceRecord r = readAll(reader).get(0);

        // 3.4028235e38 is a little above float32's largest value in double, and rounds to it
        assertThat((float) 3.4028235e38).isEqualTo(Float.MAX_VALUE);
        assertThat(r.get(Column.POLICY_CHOSEN_LOGPS)).isEqualTo(-3.4028235e38);
        assertThat(r.features()).containsExactly(3.4028235e38, -3.4028235e38, 1e-300);
    }

    @Test
    void refusesAnEmptyFile() throws IOException {
        Path file = Files.writeString(dir.resolve("empty.jsonl"), "");
        PreferenceReader reader = new PreferenceReader(file, DataFormat.TRL, null, NONE, false);

        assertThatThrownBy(() -> reader.read(r -> { })).hasMessage(file + ": no pairs, the file is empty");
    }

    @Test
    void refusesAMissingFile() {
        Path file = dir.resolve("absent.jsonl");
        assertThatThrownBy(() -> new PreferenceReader(file, DataFormat.TRL, null, NONE, false).read(r -> { }))
                .hasMessage(file + ": no such file");
    }

    @Test
    void skipsIdenticalPairsWhenAskedAndCountsThem() throws IOException {
        Path file = Files.writeString(dir.resolve("pairs.jsonl"), "{\"prompt\": \"q\", \"chosen\": \"a\", "
                + "\"rejected\": \"a\"}\n{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\"}\n");
        List<PreferenceRecord> kept = new ArrayList<>();

        PreferenceReader.Stats stats = new PreferenceReader(file, DataFormat.TRL, null, NONE, true).read(kept::add);

        assertThat(stats.pairs()).isEqualTo(1);
        assertThat(stats.skippedIdentical()).isEqualTo(1);
        assertThat(kept).singleElement().extracting(PreferenceRecord::line).isEqualTo(2L);
    }

    /** In HH the dialogues share the prompt, so identical means identical final answers. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "`{\"chosen\": \"\\n\\nHuman: hi\\n\\nAssistant: yo\", \"rejected\": \"\\n\\nHuman: hi\\n\\nAssistant: yo\"}`|line 1: fields 'chosen' and 'rejected' hold the same completion",
        "`{\"chosen\": \"\\n\\nHuman: hi\\n\\nAssistant: yo\", \"rejected\": \"\\n\\nHuman: hello\\n\\nAssistant: yo\"}`|line 1: fields 'chosen' and 'rejected' must be the same dialogue up to their last \"\\n\\nAssistant:\"; they differ before it",
        "`{\"chosen\": \"Human: hi\", \"rejected\": \"\\n\\nHuman: hi\\n\\nAssistant: no\"}`|line 1: field 'chosen' has no \"\\n\\nAssistant:\" turn (format hh holds Human/Assistant dialogues)"})
    void refusesBadHhPairs(String line, String message) throws IOException {
        Path file = Files.writeString(dir.resolve("hh.jsonl"), line + "\n");
        PreferenceReader reader = new PreferenceReader(file, DataFormat.HH, null, NONE, false);

        assertThatThrownBy(() -> reader.read(r -> { })).hasMessageStartingWith(file + ", " + message);
    }

    @Test
    void refusesMalformedMessages() throws IOException {
        Path file = Files.writeString(dir.resolve("c.jsonl"), "{\"prompt\": [{\"role\": \"user\", \"content\": \"q\"}], "
                + "\"chosen\": [{\"role\": \"assistant\"}], \"rejected\": [{\"role\": \"assistant\", \"content\": \"b\"}]}\n");
        PreferenceReader reader = new PreferenceReader(file, DataFormat.CONVERSATIONAL, null, NONE, false);

        assertThatThrownBy(() -> reader.read(r -> { })).hasMessage(file + ", line 1: field 'chosen[0].content' is missing");
    }
}
