package betalab.experiments.train;

import betalab.experiments.bandit.Checks;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * TR-DPO's reference update (Gorbatovski et al. 2024): every {@code every} steps the reference
 * becomes α·πθ + (1 − α)·π_ref ("soft") or πθ ("hard"); "none" keeps the initial policy frozen.
 */
public record ReferenceSync(String mode, int every, double alpha) {

    public static ReferenceSync none() {
        return new ReferenceSync("none", 0, 1.0);
    }

    /** From a config file: mode defaults to none, alpha to 1. */
    @JsonCreator
    static ReferenceSync fromConfig(@JsonProperty("mode") String mode, @JsonProperty("every") Integer every,
                                    @JsonProperty("alpha") Double alpha) {
        return new ReferenceSync(mode == null ? "none" : mode, every == null ? 0 : every, alpha == null ? 1.0 : alpha);
    }

    public ReferenceSync {
        Checks.require(mode.equals("none") || mode.equals("soft") || mode.equals("hard"), "reference_sync.mode",
                "none, soft or hard", mode);
        Checks.require(mode.equals("none") || every >= 1, "reference_sync.every", "≥ 1", every);
        Checks.require(alpha > 0 && alpha <= 1, "reference_sync.alpha", "in (0, 1]", alpha);
    }

    /** Whether the reference moves after this step. */
    public boolean due(int step) {
        return !mode.equals("none") && step % every == 0;
    }

    /** The weight of the policy in the new reference. */
    public double weight() {
        return mode.equals("hard") ? 1.0 : alpha;
    }
}
