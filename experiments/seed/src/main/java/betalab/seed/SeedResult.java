package betalab.seed;

import betalab.training.Config;
import java.util.List;

/**
 * What one run of the seed experiment produced.
 *
 * @param config       what was run, resolved
 * @param delta        Δ of each sample
 * @param beta         β(x) of each sample after training
 * @param loss         the loss of every epoch, computed before that epoch's update
 * @param meanBetaPos  mean β over the samples with Δ &gt; 0 (the first half)
 * @param meanBetaNeg  mean β over the samples with Δ &lt; 0 (the second half)
 * @param extensions   the extension modules the registry was built from
 */
public record SeedResult(Config config, double[] delta, double[] beta, double[] loss, double meanBetaPos,
                         double meanBetaNeg, List<String> extensions) {
}
