package betalab.lm.reward;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The words of a text as the rewards count them: lower-cased runs of letters, digits and
 * apostrophes, with hyphenated parts kept together ("ill-fated", "once-in-a-lifetime", as AFINN
 * lists them); a typographic apostrophe reads as '. Everything else separates words.
 */
public final class Words {
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}']+(?:-[\\p{L}\\p{N}']+)*");

    private Words() {
    }

    public static List<String> of(String text) {
        Matcher m = WORD.matcher(text.replace('’', '\'').toLowerCase(Locale.ROOT));
        List<String> words = new ArrayList<>();
        while (m.find()) {
            words.add(m.group());
        }
        return words;
    }
}
