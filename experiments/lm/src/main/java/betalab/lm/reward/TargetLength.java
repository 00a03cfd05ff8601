package betalab.lm.reward;

/**
 * r*(y) = −|words(y) − target|: a completion is best when it has exactly {@code target} words
 * ({@link Words}), so the policy must learn where to end. Its steps are whole words, the scale of
 * the sentiment reward, so the same Bradley–Terry temperature suits both.
 */
public record TargetLength(int target) implements Reward {
    public TargetLength {
        if (target < 1) {
            throw new IllegalArgumentException("the target length must be at least 1 word, got " + target);
        }
    }

    @Override
    public double score(String completion) {
        return -Math.abs(Words.of(completion).size() - target);
    }
}
