package betalab.lm.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RewardTest {

    @Test
    void wordsAreLowerCasedRunsOfLettersDigitsAndApostrophesWithHyphensKept() {
        assertThat(Words.of("Ill-fated, can’t STAND it!  gr8 -- naïve 1961"))
                .containsExactly("ill-fated", "can't", "stand", "it", "gr8", "naïve", "1961");
        assertThat(Words.of(" \n.,;")).isEmpty();
    }

    @Test
    void theWholeAfinnLexiconIsLoaded() {
        Sentiment afinn = Sentiment.afinn();
        assertThat(afinn.size()).isEqualTo(3382);
        assertThat(afinn.valence("good")).isEqualTo(3);
        assertThat(afinn.valence("does not work")).isEqualTo(-3);
        assertThat(afinn.valence("naïve")).isEqualTo(-2);
        assertThat(afinn.valence("breathtaking")).isEqualTo(5);
        assertThat(afinn.valence("the")).isNull();
    }

    @Test
    void sentimentSumsTheValencesOfWordsAndPhrasesAsHandCounted() {
        Reward sentiment = Reward.named("sentiment", 10);
        // good +3, great +3, hope +2, bad −3; "jobs" and "and" are not in the lexicon.
        assertThat(sentiment.score("Good jobs, GREAT hope and bad")).isEqualTo(5.0);
        // "does not work" is one phrase (−3): its words do not count again; "ill-fated" −2; "cruel" −3.
        assertThat(sentiment.score("It does not work, an ill-fated and cruel plan")).isEqualTo(-8.0);
        assertThat(sentiment.score("")).isZero();
        // A phrase of the test's own lexicon, longest match first.
        Sentiment own = new Sentiment(Map.of("a", 1, "a b", 10, "b", 100));
        assertThat(own.score("a b b a")).isEqualTo(10 + 100 + 1);
    }

    @Test
    void lengthIsMinusTheDistanceInWordsFromTheTarget() {
        Reward length = Reward.named("length", 4);
        assertThat(length.score("one two three")).isEqualTo(-1.0);
        assertThat(length.score("one, two; three four!")).isEqualTo(0.0);
        assertThat(length.score("a b c d e f g")).isEqualTo(-3.0);
        assertThat(length.score("")).isEqualTo(-4.0);
        assertThatThrownBy(() -> new TargetLength(0)).hasMessageContaining("at least 1 word");
    }

    @Test
    void anUnknownRewardIsOneLineListingTheKnownOnes() {
        assertThatThrownBy(() -> Reward.named("toxicity", 10))
                .hasMessage("unknown reward 'toxicity'; known: sentiment, length");
    }
}
