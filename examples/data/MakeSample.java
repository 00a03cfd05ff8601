import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * Writes sample-trl.jsonl, the sample for `betalab fit-beta`: TRL's standard preference rows with
 * the columns an LLM would add, made up so that a learned β has something to find. Run it with
 * `java examples/data/MakeSample.java examples/data/sample-trl.jsonl` (it is deterministic).
 *
 * <p>150 prompts with two pairs each. A prompt's 8-number embedding x is standard normal; the
 * pair's margin h = c − r of the policy's log-ratios is u·x/√8 plus noise, for a fixed direction u,
 * so whether the policy already prefers the chosen answer depends on the prompt. Reference
 * log-probabilities are about −1.2 per token of each answer; lengths are the answers' word counts.
 */
public final class MakeSample {
    private static final String[] TOPICS = {"photosynthesis", "compound interest", "recursion", "plate tectonics",
        "vaccines", "inflation", "black holes", "the water cycle", "public-key cryptography", "supply and demand"};
    private static final int DIM = 8;

    public static void main(String[] args) throws IOException {
        Random random = new Random(20261124L);
        double[] u = new double[DIM];
        for (int k = 0; k < DIM; k++) {
            u[k] = random.nextGaussian();
        }
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(Path.of(args[0]), StandardCharsets.UTF_8))) {
            for (int p = 0; p < 150; p++) {
                String topic = TOPICS[p % TOPICS.length];
                String prompt = "Question " + (p + 1) + ": explain " + topic + " to a " + (10 + p % 7) + "-year-old.";
                double[] x = new double[DIM];
                double ux = 0;
                for (int k = 0; k < DIM; k++) {
                    x[k] = random.nextGaussian();
                    ux += u[k] * x[k];
                }
                for (int pair = 0; pair < 2; pair++) {
                    String chosen = "Think of " + topic + " like this: " + "a simple picture, one step at a time, "
                            .repeat(1 + random.nextInt(3)) + "and an example you know.";
                    String rejected = topic.substring(0, 1).toUpperCase(Locale.ROOT) + topic.substring(1)
                            + " is a technical matter" + ", as textbooks explain".repeat(random.nextInt(3)) + ".";
                    int lc = chosen.split(" ").length;
                    int lr = rejected.split(" ").length;
                    double refChosen = -lc * (1.2 + 0.2 * random.nextGaussian());
                    double refRejected = -lr * (1.2 + 0.2 * random.nextGaussian());
                    double h = ux / Math.sqrt(DIM) + 0.3 * random.nextGaussian();
                    double shift = 0.2 * random.nextGaussian();
                    out.printf(Locale.ROOT, "{\"prompt\": \"%s\", \"chosen\": \"%s\", \"rejected\": \"%s\", "
                                    + "\"policy_chosen_logps\": %.4f, \"policy_rejected_logps\": %.4f, "
                                    + "\"ref_chosen_logps\": %.4f, \"ref_rejected_logps\": %.4f, "
                                    + "\"chosen_length\": %d, \"rejected_length\": %d, \"prompt_embedding\": %s}%n",
                            prompt, chosen, rejected, refChosen + shift + h / 2, refRejected + shift - h / 2,
                            refChosen, refRejected, lc, lr, vector(x));
                }
            }
        }
    }

    private static String vector(double[] x) {
        StringBuilder b = new StringBuilder("[");
        for (int k = 0; k < x.length; k++) {
            b.append(k == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4f", x[k]));
        }
        return b.append(']').toString();
    }
}
