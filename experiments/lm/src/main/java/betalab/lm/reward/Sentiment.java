package betalab.lm.reward;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The AFINN score of a text, as the afinn package computes it: the sum of the valences (−5 … +5)
 * of its words and phrases found in the lexicon, a phrase ("does not work", −3) taking its words
 * before they count alone. The lexicon is AFINN-165 (Finn Årup Nielsen; afinn/README.md beside it
 * says where it comes from and under which licence). The sum, not a mean, so that a pair differing
 * by one clearly positive word (+2, +3) is a clear preference at temperature 1 — the scale of
 * TRL's "steer toward positive sentiment" classifier logits.
 */
public final class Sentiment implements Reward {
    static final String LEXICON = "afinn/AFINN-165.txt";

    private final Map<String, Integer> valence;
    private final int longestPhrase;

    /** A scorer over {@code valence} (term → valence; a term of several words is a phrase). */
    public Sentiment(Map<String, Integer> valence) {
        this.valence = Map.copyOf(valence);
        longestPhrase = valence.keySet().stream().mapToInt(t -> t.split(" ").length).max().orElse(1);
    }

    /** AFINN-165, read once. */
    public static Sentiment afinn() {
        return Afinn.LEXICON;
    }

    private static final class Afinn {
        static final Sentiment LEXICON = new Sentiment(read());

        private static Map<String, Integer> read() {
            Map<String, Integer> valence = new HashMap<>();
            try (InputStream in = Sentiment.class.getResourceAsStream(Sentiment.LEXICON)) {
                if (in == null) {
                    throw new IllegalStateException("the AFINN lexicon " + Sentiment.LEXICON + " is missing from betalab's jar");
                }
                BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    int tab = line.indexOf('\t');
                    valence.put(line.substring(0, tab), Integer.parseInt(line.substring(tab + 1).strip()));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the AFINN lexicon: " + e.getMessage(), e);
            }
            return valence;
        }
    }

    /** The lexicon's valence of a term, or null. */
    public Integer valence(String term) {
        return valence.get(term);
    }

    public int size() {
        return valence.size();
    }

    @Override
    public double score(String completion) {
        List<String> words = Words.of(completion);
        double sum = 0;
        int i = 0;
        while (i < words.size()) {
            int matched = 1;
            for (int n = Math.min(longestPhrase, words.size() - i); n >= 1; n--) {
                Integer v = valence.get(String.join(" ", words.subList(i, i + n)));
                if (v != null) {
                    sum += v;
                    matched = n;
                    break;
                }
            }
            i += matched;
        }
        return sum;
    }
}
