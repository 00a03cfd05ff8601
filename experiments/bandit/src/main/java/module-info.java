/**
 * The synthetic contextual bandit as a task: prompts, candidates, a hidden true reward, noisy
 * preference labels and an exact evaluation. Sees only the api; training finds it by name.
 */
module betalab.bandit {
    requires betalab.api;

    provides betalab.api.registry.Extension with betalab.bandit.BanditExtension;
}
