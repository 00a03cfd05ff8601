package betalab.bandit;

import betalab.api.registry.Settings;

/** The bandit task's resolved knobs (declared in {@link BanditTask}), as the environment's code reads them. */
record BanditConfig(int prompts, int promptDim, int responseDim, int candidates, double temperature,
                    double labelNoise, double evalFraction, int pairsPerPrompt) {

    static BanditConfig of(Settings s) {
        BanditConfig c = new BanditConfig(s.get(BanditTask.PROMPTS), s.get(BanditTask.PROMPT_DIM),
                s.get(BanditTask.RESPONSE_DIM), s.get(BanditTask.CANDIDATES), s.get(BanditTask.TEMPERATURE),
                s.get(BanditTask.LABEL_NOISE), s.get(BanditTask.EVAL_FRACTION), s.get(BanditTask.PAIRS_PER_PROMPT));
        int eval = c.evalPrompts();
        if (eval < 1 || eval >= c.prompts) {
            throw new IllegalArgumentException(s.owner() + ": knob 'eval_fraction' must leave at least one prompt on "
                    + "each side, got " + c.evalFraction + " of " + c.prompts + " prompts");
        }
        return c;
    }

    /** Prompts held out for evaluation: the last ones. */
    int evalPrompts() {
        return (int) Math.round(prompts * evalFraction);
    }
}
