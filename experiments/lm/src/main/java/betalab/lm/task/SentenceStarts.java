package betalab.lm.task;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Prompts cut from text: the first {@code words} whitespace-separated words of every sentence that
 * has more (so something of it is left to complete), in document order. A sentence ends at '.',
 * '!' or '?' followed by whitespace.
 */
final class SentenceStarts {
    private static final Pattern SENTENCE_END = Pattern.compile("(?<=[.!?])\\s+");
    private static final Pattern SPACE = Pattern.compile("\\s+");

    private SentenceStarts() {
    }

    static List<String> of(List<String> documents, int words) {
        List<String> starts = new ArrayList<>();
        for (String document : documents) {
            for (String sentence : SENTENCE_END.split(document)) {
                String[] w = SPACE.split(sentence.strip());
                if (w.length > words) {
                    starts.add(String.join(" ", java.util.Arrays.copyOf(w, words)));
                }
            }
        }
        return starts;
    }

    /**
     * {@code count} of {@code items} spread evenly over them, in order: item ⌊(i + ½)·n/count⌋ for
     * i = 0 … count − 1, so a split reaches every document, not only the first.
     */
    static int[] spread(int n, int count) {
        int[] picked = new int[count];
        for (int i = 0; i < count; i++) {
            picked[i] = (int) ((i + 0.5) * n / count);
        }
        return picked;
    }
}
