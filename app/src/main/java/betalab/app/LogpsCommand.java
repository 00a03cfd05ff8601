package betalab.app;

import betalab.api.policy.Policy;
import betalab.api.random.Rng;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.data.LogProbs;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code betalab logps}: TRL's precompute_ref_log_probs, from a model directory to a JSON Lines file. */
@Command(name = "logps", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Add each preference record's summed completion log-probabilities under a model (TRL's "
                    + "precompute_ref_log_probs): log πθ(token | prefix) over the completion's tokens, prompt "
                    + "excluded, and the completions' lengths in tokens.%n",
            "Input: JSON Lines of TRL preference records, text (prompt, chosen, rejected; tokenized with the "
                    + "model's tokenizer.json as TRL does for a decoder-only model: no special tokens, the "
                    + "end-of-sequence token appended to each completion) or tokenized (prompt_input_ids, "
                    + "chosen_input_ids, rejected_input_ids). Every field of a record is kept.%n",
            "Output: each record with chosen_logps and rejected_logps (prefixed by --as), chosen_length and "
                    + "rejected_length, and with --per-token the lists chosen_token_logps and rejected_token_logps. "
                    + "`--as ref` then `--as policy` on its output gives the four columns `betalab loss` and "
                    + "`betalab fit-beta` read. Nothing is written unless every record is scored."})
final class LogpsCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "a Hugging Face model directory (config.json, model.safetensors, tokenizer.json for text)")
    private Path model;

    @Option(names = "--in", required = true, paramLabel = "FILE", description = "the preference records")
    private Path in;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "where the scored records go")
    private Path out;

    @Option(names = "--as", paramLabel = "PREFIX", defaultValue = "",
            description = "prefix of the added log-prob fields: ref, policy, or none (default)")
    private String prefix;

    @Option(names = "--per-token", description = "also write each completion token's log-probability")
    private boolean perToken;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "8",
            description = "records per forward pass (default: ${DEFAULT-VALUE})")
    private int batchSize;

    @Option(names = "--policy", paramLabel = "NAME", defaultValue = "transformer",
            description = "the policy that reads the directory, by registry name (default: ${DEFAULT-VALUE})")
    private String policyName;

    @Override
    public Integer call() throws java.io.IOException {
        if (!prefix.isEmpty() && !prefix.equals("ref") && !prefix.equals("policy")) {
            throw new IllegalArgumentException("--as must be ref or policy, got '" + prefix + "'");
        }
        if (!Files.isDirectory(model)) {
            throw new IllegalArgumentException("--model " + model + " is not a directory");
        }
        if (!Files.isRegularFile(in)) {
            throw new IllegalArgumentException("--in " + in + " is not a file");
        }
        if (Files.exists(out) && Files.isSameFile(in, out)) {
            throw new IllegalArgumentException("--out may not be the input file " + in);
        }
        Registry registry = Registry.discover();
        // Vocabulary 0: the model's own, with no task to match.
        Policy policy = registry.create(Policy.POINT, policyName, Map.of("from", model.toString()),
                new Policy.Context(0, Map.of(), Rng.named("torch", 0), DType.FLOAT32));
        PrintWriter err = spec.commandLine().getErr();
        long start = System.nanoTime();
        long records = LogProbs.write(policy, in, out, new LogProbs.Options(batchSize, perToken, prefix), done -> {
            double seconds = (System.nanoTime() - start) / 1e9;
            err.printf(Locale.ROOT, "\rlogps: %d records, %.1f records/s", done, done / Math.max(seconds, 1e-9));
            err.flush();
        });
        err.printf(Locale.ROOT, "%nlogps: %d records written to %s%n", records, out);
        err.flush();
        return 0;
    }
}
