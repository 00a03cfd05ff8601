package betalab.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import betalab.api.policy.Policy;
import betalab.api.random.Rng;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The logps file job with a policy whose log-probabilities are known by hand: every token v has
 * log π(v) = log((v + 1)/15) whatever precedes it (a vocabulary of 5), and a tokenizer that maps
 * the letters a…d to 0…3 with 4 as end-of-sequence.
 */
class LogProbsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static double logp(int v) {
        return Math.log((v + 1) / 15.0);
    }

    /** π(v) = (v + 1)/15 at every position; prompts must be at least one token. */
    static final class UnigramPolicy implements Policy {
        private int widest;

        @Override
        public Scores score(Sequences batch) {
            int m = batch.completions().length;
            int width = batch.maxCompletionLength();
            widest = Math.max(widest, m);
            double[] tokens = new double[m * width];
            double[] lengths = new double[m];
            for (int j = 0; j < m; j++) {
                int[] c = batch.completions()[j];
                for (int t = 0; t < c.length; t++) {
                    if (c[t] >= 5) {
                        throw new IllegalArgumentException("token id " + c[t] + " is outside the vocabulary [0, 5)");
                    }
                    tokens[j * width + t] = logp(c[t]);
                }
                lengths[j] = c.length;
            }
            Tensor t = Tensor.of(DType.FLOAT64, tokens, m, width);
            return new Scores(t, t.sum(1), Tensor.of(DType.FLOAT64, lengths, m),
                    Tensor.zeros(DType.FLOAT64, batch.prompts().length, 1), null, null, null);
        }

        /** Each token drawn from π(v) = (v + 1)/15, one uniform of {@code rng} per token. */
        @Override
        public int[][] sample(int[][] prompts, int maxTokens, Rng rng) {
            int[][] out = new int[prompts.length][maxTokens];
            for (int[] completion : out) {
                double[] u = rng.uniform(maxTokens, 0, 1);
                for (int t = 0; t < maxTokens; t++) {
                    double cumulative = 0;
                    int v = 0;
                    while (v < 4 && u[t] >= (cumulative += Math.exp(logp(v)))) {
                        v++;
                    }
                    completion[t] = v;
                }
            }
            return out;
        }

        @Override
        public int representationDim() {
            return 1;
        }

        @Override
        public Map<String, Tensor> namedParameters() {
            return Map.of();
        }

        @Override
        public Map<String, double[]> state() {
            return Map.of();
        }

        @Override
        public void loadState(Map<String, double[]> state) {
        }

        @Override
        public Tokenizer tokenizer() {
            return new Tokenizer() {
                @Override
                public int[] encode(String text) {
                    return text.chars().map(ch -> ch - 'a').toArray();
                }

                @Override
                public String decode(int[] ids) {
                    StringBuilder text = new StringBuilder();
                    for (int id : ids) {
                        if (id != endOfSequence()) {
                            text.append((char) ('a' + id));
                        }
                    }
                    return text.toString();
                }

                @Override
                public int endOfSequence() {
                    return 4;
                }
            };
        }
    }

    private Path file(String text) throws IOException {
        return Files.writeString(dir.resolve("in.jsonl"), text);
    }

    private List<JsonNode> read(Path out) throws IOException {
        return Files.readAllLines(out).stream().map(l -> {
            try {
                return JSON.readTree(l);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }).toList();
    }

    @Test
    void textAndTokenizedRecordsGetTheirSumsLengthsAndFieldsKept() throws IOException {
        Path in = file("{\"prompt\": \"ab\", \"chosen\": \"cd\", \"rejected\": \"a\", \"id\": 7}\n\n"
                + "{\"prompt_input_ids\": [0], \"chosen_input_ids\": [3, 3], \"rejected_input_ids\": [1]}\n"
                + "{\"prompt\": \"c\", \"chosen\": \"\", \"rejected\": \"bb\"}\n");
        Path out = dir.resolve("out.jsonl");
        UnigramPolicy policy = new UnigramPolicy();
        long n = LogProbs.write(policy, in, out, new LogProbs.Options(2, true, "ref"), done -> { });

        assertThat(n).isEqualTo(3);
        List<JsonNode> rows = read(out);
        // Text: the end-of-sequence token (4) is appended to each completion, as TRL does.
        assertThat(rows.get(0).get("ref_chosen_logps").asDouble()).isCloseTo(logp(2) + logp(3) + logp(4), within(1e-12));
        assertThat(rows.get(0).get("ref_rejected_logps").asDouble()).isCloseTo(logp(0) + logp(4), within(1e-12));
        assertThat(rows.get(0).get("chosen_length").asInt()).isEqualTo(3);
        assertThat(rows.get(0).get("id").asInt()).isEqualTo(7);
        assertThat(rows.get(0).get("ref_chosen_token_logps")).hasSize(3);
        // Tokenized: as given.
        assertThat(rows.get(1).get("ref_chosen_logps").asDouble()).isCloseTo(2 * logp(3), within(1e-12));
        assertThat(rows.get(1).get("rejected_length").asInt()).isEqualTo(1);
        // An empty text completion is its end-of-sequence token alone.
        assertThat(rows.get(2).get("ref_chosen_logps").asDouble()).isCloseTo(logp(4), within(1e-12));
        assertThat(policy.widest).as("two records a batch: four completions").isEqualTo(4);
        assertThat(Files.list(dir)).extracting(p -> p.getFileName().toString())
                .containsExactlyInAnyOrder("in.jsonl", "out.jsonl");
    }

    @Test
    void aBadRecordIsNamedByLineAndNothingIsWritten() throws IOException {
        Path out = dir.resolve("out.jsonl");
        String good = "{\"prompt_input_ids\": [0], \"chosen_input_ids\": [1], \"rejected_input_ids\": [2]}\n";
        for (String[] c : new String[][] {
            {"{\"prompt_input_ids\": [0], \"chosen_input_ids\": [1], \"rejected_input_ids\": [7]}", "line 3: token id 7"},
            {"{\"prompt_input_ids\": [0], \"chosen_input_ids\": [1]}", "line 3: missing field 'rejected_input_ids'"},
            {"{\"prompt\": \"a\", \"chosen\": 3, \"rejected\": \"b\"}", "line 3: field 'chosen' must be a string"},
            {"{\"prompt_input_ids\": [0], \"chosen_input_ids\": [1.5], \"rejected_input_ids\": [2]}",
                "line 3: field 'chosen_input_ids' must hold token ids"},
            {"[1, 2]", "line 3: a record must be a JSON object"},
            {"{\"prompt\": ", "line 3: malformed JSON"}}) {
            Path in = file(good + good + c[0] + "\n" + good);
            assertThatThrownBy(() -> LogProbs.write(new UnigramPolicy(), in, out, new LogProbs.Options(2, false, ""),
                    done -> { }))
                    .as(c[0]).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(in + ", " + c[1]);
            assertThat(Files.list(dir)).as("nothing left for " + c[0]).extracting(p -> p.getFileName().toString())
                    .containsExactly("in.jsonl");
        }
    }
}
