package betalab.data;

import betalab.api.policy.Policy;
import betalab.api.tensor.Tensor;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * TRL's {@code precompute_ref_log_probs} as a file: every preference record of a JSON Lines file
 * gets the summed log-probabilities of its chosen and rejected completions under a policy (prompt
 * tokens excluded, as TRL computes them) and their lengths in tokens, added to the record's own
 * fields. Records are text ({@code prompt}, {@code chosen}, {@code rejected}, tokenized as TRL's
 * DPOTrainer does for a decoder-only model: no special tokens, the end-of-sequence token appended to
 * each completion) or already tokenized ({@code prompt_input_ids}, {@code chosen_input_ids},
 * {@code rejected_input_ids}). They are scored in batches; the output appears only when every record
 * has been scored, so a bad record leaves nothing behind.
 */
public final class LogProbs {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param batchSize records per forward pass
     * @param perToken  also write each completion token's log-probability ({@code chosen_token_logps})
     * @param prefix    the added fields' prefix: "" gives {@code chosen_logps}, "ref" gives
     *                  {@code ref_chosen_logps} (TRL's precomputed columns), "policy" gives
     *                  {@code policy_chosen_logps}; betalab loss reads the policy_ and ref_ ones
     */
    public record Options(int batchSize, boolean perToken, String prefix) {
        public Options {
            if (batchSize < 1) {
                throw new IllegalArgumentException("the batch size must be at least 1, got " + batchSize);
            }
        }

        String field(String name) {
            return prefix.isEmpty() ? name : prefix + "_" + name;
        }
    }

    private record Pending(long line, ObjectNode record, int[] prompt, int[] chosen, int[] rejected) {
    }

    private LogProbs() {
    }

    /**
     * Scores every record of {@code in} and writes them to {@code out}; returns the number of records.
     * {@code progress} hears the records done after each batch.
     */
    public static long write(Policy policy, Path in, Path out, Options options, LongConsumer progress) {
        LineErrors errors = new LineErrors(in);
        Path absolute = out.toAbsolutePath();
        Path temporary;
        try {
            Files.createDirectories(absolute.getParent());
            temporary = Files.createTempFile(absolute.getParent(), "." + absolute.getFileName(), ".part");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        }
        boolean done = false;
        long count = 0;
        try (InputStream input = Files.newInputStream(in);
             BufferedWriter writer = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
            JsonLines lines = new JsonLines(input);
            List<Pending> batch = new ArrayList<>();
            while (lines.next()) {
                if (lines.isBlank()) {
                    continue;
                }
                batch.add(parse(lines, policy.tokenizer(), errors));
                if (batch.size() == options.batchSize()) {
                    count += score(policy, batch, options, writer, errors);
                    progress.accept(count);
                }
            }
            count += score(policy, batch, options, writer, errors);
            progress.accept(count);
            if (count == 0) {
                throw new IllegalArgumentException(in + ": no records");
            }
            writer.close();
            Files.move(temporary, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            done = true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + in + " or write " + out + ": " + e.getMessage(), e);
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(temporary);
                } catch (IOException ignored) {
                    // The error being thrown says more.
                }
            }
        }
        return count;
    }

    private static Pending parse(JsonLines lines, Policy.Tokenizer tokenizer, LineErrors errors) throws IOException {
        long line = lines.number();
        JsonNode node;
        try (var parser = lines.parser()) {
            node = JSON.readTree(parser);
        } catch (JsonProcessingException e) {
            throw errors.malformed(line, null, e);
        }
        if (!(node instanceof ObjectNode record)) {
            throw errors.at(line, "a record must be a JSON object");
        }
        if (record.has("prompt_input_ids")) {
            return new Pending(line, record, ids(record, "prompt_input_ids", line, errors),
                    ids(record, "chosen_input_ids", line, errors), ids(record, "rejected_input_ids", line, errors));
        }
        if (tokenizer == null) {
            throw errors.at(line, "a text record needs the model's tokenizer (tokenizer.json in the model directory); "
                    + "give prompt_input_ids, chosen_input_ids and rejected_input_ids instead");
        }
        int[] prompt = tokenizer.encode(string(record, "prompt", line, errors));
        int[] chosen = tokenizer.completion(string(record, "chosen", line, errors));
        int[] rejected = tokenizer.completion(string(record, "rejected", line, errors));
        return new Pending(line, record, prompt, chosen, rejected);
    }

    private static String string(ObjectNode record, String field, long line, LineErrors errors) {
        JsonNode v = record.get(field);
        if (v == null) {
            throw errors.at(line, "missing field '" + field + "' (text records have prompt, chosen and rejected)");
        }
        if (!v.isTextual()) {
            throw errors.at(line, field, "must be a string, got " + v.getNodeType().toString().toLowerCase());
        }
        return v.asText();
    }

    private static int[] ids(ObjectNode record, String field, long line, LineErrors errors) {
        JsonNode v = record.get(field);
        if (v == null) {
            throw errors.at(line, "missing field '" + field + "' (tokenized records have prompt_input_ids, "
                    + "chosen_input_ids and rejected_input_ids)");
        }
        if (!v.isArray()) {
            throw errors.at(line, field, "must be a list of token ids");
        }
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode id = v.get(i);
            if (!id.canConvertToInt() || !id.isIntegralNumber() || id.asInt() < 0) {
                throw errors.at(line, field, "must hold token ids ≥ 0, item " + i + " is " + id);
            }
            out[i] = id.asInt();
        }
        if (out.length == 0) {
            throw errors.at(line, field, "is empty");
        }
        return out;
    }

    /** Scores a batch and writes its records; a batch that fails is scored record by record to name the line. */
    private static int score(Policy policy, List<Pending> batch, Options options, BufferedWriter writer,
                             LineErrors errors) throws IOException {
        if (batch.isEmpty()) {
            return 0;
        }
        Policy.Scores scores;
        try {
            scores = scores(policy, batch);
        } catch (IllegalArgumentException e) {
            for (Pending p : batch) {
                try {
                    scores(policy, List.of(p));
                } catch (IllegalArgumentException single) {
                    throw errors.at(p.line(), single.getMessage());
                }
            }
            throw e;
        }
        int n = batch.size();
        double[] sums = scores.sums().toDoubleArray();
        double[] tokens = scores.tokenLogps().toDoubleArray();
        int width = scores.tokenLogps().dim(1);
        for (int i = 0; i < n; i++) {
            Pending p = batch.get(i);
            ObjectNode record = p.record();
            record.put(options.field("chosen_logps"), sums[i]);
            record.put(options.field("rejected_logps"), sums[n + i]);
            record.put("chosen_length", p.chosen().length);
            record.put("rejected_length", p.rejected().length);
            if (options.perToken()) {
                record.set(options.field("chosen_token_logps"), row(tokens, i * width, p.chosen().length));
                record.set(options.field("rejected_token_logps"), row(tokens, (n + i) * width, p.rejected().length));
            }
            writer.write(JSON.writeValueAsString(record));
            writer.write('\n');
        }
        int done = batch.size();
        batch.clear();
        return done;
    }

    /** The chosen completions then the rejected ones, each after its prompt, without gradients. */
    private static Policy.Scores scores(Policy policy, List<Pending> batch) {
        int n = batch.size();
        int[][] prompts = new int[n][];
        int[][] completions = new int[2 * n][];
        int[] promptOf = new int[2 * n];
        for (int i = 0; i < n; i++) {
            prompts[i] = batch.get(i).prompt();
            completions[i] = batch.get(i).chosen();
            completions[n + i] = batch.get(i).rejected();
            promptOf[i] = i;
            promptOf[n + i] = i;
        }
        try (var noGrad = Tensor.noGrad()) {
            return policy.score(new Policy.Sequences(prompts, completions, promptOf));
        }
    }

    private static ArrayNode row(double[] values, int from, int length) {
        ArrayNode out = JSON.createArrayNode();
        for (int t = 0; t < length; t++) {
            out.add(values[from + t]);
        }
        return out;
    }
}
