package betalab.data;

import betalab.api.preference.BetaEstimator;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import betalab.data.fit.FittedBeta;
import betalab.training.PreferenceMetrics;
import betalab.training.RunFiles;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A preference loss on precomputed log-probabilities ({@code betalab loss}): each pair's loss and
 * its gradients in the file's mean loss (weighted, Σwᵢℓᵢ/Σwᵢ, where lines give a weight field), in float64, streamed in chunks (a batch-coupled loss sees
 * the whole file as one chunk), written whole or not at all; and the file's preference metrics.
 * Each pair's β is its own beta field, a default, or what a fitted β scheme gives it.
 */
public final class LossCalculator {
    /** Pairs computed at once when a loss allows it: bounded memory, and per-operation costs spread thin. */
    public static final int CHUNK = 8192;

    /** The fields of a result line; with a fitted β, "beta" (the pair's β) follows them. */
    private static final String[] OUTPUT = {"loss", "d_policy_chosen_logps", "d_policy_rejected_logps", "d_beta"};

    private final PreferenceLoss loss;
    private final String lossName;
    private final double defaultBeta;
    private final FittedBeta fitted;
    private final BetaEstimator scheme;

    /** {@code defaultBeta}: β of pairs without a beta field, and the base β of the TRL-named metrics. */
    public LossCalculator(PreferenceLoss loss, String lossName, double defaultBeta) {
        this.loss = loss;
        this.lossName = lossName;
        this.defaultBeta = defaultBeta;
        this.fitted = null;
        this.scheme = null;
    }

    /**
     * β from a fitted scheme: each pair's β is what the scheme gives it, computed as the fit's
     * evaluation did (on batches of the fit's batch size, in file order, which matters only for a
     * scheme whose β reads its whole batch); the TRL-named metrics use the scheme's base β.
     */
    public LossCalculator(PreferenceLoss loss, String lossName, FittedBeta fitted) {
        this.loss = loss;
        this.lossName = lossName;
        this.fitted = fitted;
        this.scheme = fitted.create();
        this.defaultBeta = scheme.baseBeta();
    }

    /**
     * What a run found: the file's (weighted) mean loss, whether any line gave a weight, and the
     * preference metrics, which count every pair once whatever its weight.
     */
    public record Result(double loss, boolean weighted, PreferenceMetrics metrics) {
    }

    /**
     * Reads every pair of {@code in}, writes one result line per input line to {@code out}; returns
     * the mean loss and the metrics. An {@code out} that is {@code in} under any name (a link,
     * another spelling) is refused.
     */
    public Result run(Path in, Path out) {
        refuseSameFile(in, out);
        PairFile pairs = fitted == null ? new PairFile(in, defaultBeta) : new PairFile(in, defaultBeta,
                new PairFile.Needs(fitted.describe(), fitted.featureField(), fitted.featureDim(), fitted.hasLengths(),
                        fitted.hasPrompt()));
        // A fitted β is computed on the fit's batches, which chunks must not split.
        int unit = fitted == null ? 1 : fitted.batchSize();
        int streamed = (CHUNK + unit - 1) / unit * unit;
        long[] firstWeighted = new long[1];
        double[] weightSum = new double[1];
        long n = pairs.read(streamed, c -> {
            firstWeighted[0] = c.firstWeighted();
            weightSum[0] = c.weightSum();
        });
        boolean coupled = loss.batchCoupled();
        boolean weighted = firstWeighted[0] > 0;
        if (coupled && weighted) {
            // As the training objective: a batch-coupled loss's terms are quantiles of the batch, not pairs.
            throw new IllegalArgumentException(in + ", line " + firstWeighted[0] + ": field 'weight' is given, but loss '"
                    + lossName + "' is batch-coupled (its terms are quantiles of the batch, not pairs) and cannot "
                    + "weigh pairs; drop the weights or use a per-pair loss");
        }
        if (!(weightSum[0] > 0)) {
            throw new IllegalArgumentException(in + ": every pair has weight 0, so the weighted mean loss is 0/0; "
                    + "give some pair a weight > 0");
        }
        if (Double.isInfinite(weightSum[0])) {
            throw new IllegalArgumentException(in + ": the weights sum to more than " + Double.MAX_VALUE
                    + "; scale them down (only their ratios matter)");
        }
        // Without weights Σw is N, and the shares are exactly the unweighted mean's.
        double totalWeight = weighted ? weightSum[0] : n;
        if (coupled && n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(in + ": " + n + " pairs are too many for one batch of " + lossName);
        }
        int chunkSize = coupled ? (int) n : streamed;
        PreferenceMetrics metrics = new PreferenceMetrics(defaultBeta);
        double[] weightedLoss = new double[1];
        // Schubfach, not JDK 17's Double.toString: the same round-tripping digits, several times faster.
        JsonFactory json = JsonFactory.builder().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();
        RunFiles.write(out, stream -> {
            try (JsonGenerator gen = json.createGenerator(stream, JsonEncoding.UTF8)) {
                gen.setRootValueSeparator(null);
                long again = pairs.read(chunkSize, chunk -> {
                    double[][] results = evaluate(in, chunk, totalWeight, weighted);
                    write(gen, in, chunk, results, metrics);
                    double[] w = chunk.column(PairFile.WEIGHT);
                    for (int i = 0; i < chunk.size(); i++) {
                        weightedLoss[0] += w[i] * results[0][i];
                    }
                });
                if (again != n) {
                    throw new IllegalStateException(in + " changed while being read: " + n + " pairs, then " + again);
                }
            }
        });
        return new Result(weighted ? weightedLoss[0] / totalWeight : metrics.meanLoss(), weighted, metrics);
    }

    /**
     * Each pair's loss and its gradients in the file's mean loss, by {@link #OUTPUT}: Σwᵢℓᵢ over all
     * pairs divided by {@code totalWeight} (Σwᵢ, or N where the file gives no weights).
     */
    private double[][] evaluate(Path in, PairFile.Chunk chunk, double totalWeight, boolean weighted) {
        Tensor policyChosen = column(chunk, PairFile.POLICY_CHOSEN).asParameter();
        Tensor policyRejected = column(chunk, PairFile.POLICY_REJECTED).asParameter();
        Tensor beta = Tensor.of(DType.FLOAT64, betas(in, chunk), chunk.size()).asParameter();
        PreferenceBatch batch = PreferenceBatch.of(policyChosen, policyRejected,
                        column(chunk, PairFile.REF_CHOSEN), column(chunk, PairFile.REF_REJECTED))
                .lengths(column(chunk, PairFile.CHOSEN_LENGTH), column(chunk, PairFile.REJECTED_LENGTH)).build();
        Tensor perPair = loss.perPair(batch, beta);
        if (perPair.rank() != 1 || perPair.size() != chunk.size()) {
            throw new IllegalStateException("the loss returned shape " + Arrays.toString(perPair.shape())
                    + " for " + chunk.size() + " pairs");
        }
        // Summing a chunk's wᵢℓᵢ and dividing by the file's Σw gives each pair exactly its share of
        // the mean loss's gradient (its own × wᵢ/Σw), as a pair's loss depends on no other pair; a
        // batch-coupled loss (never weighted) gets the whole file as its one chunk, where this is the mean itself.
        Tensor terms = weighted ? perPair.mul(Tensor.of(perPair.dtype(), chunk.column(PairFile.WEIGHT), chunk.size()))
                : perPair;
        Tensor share = terms.sum().div(totalWeight);
        if (share.requiresGrad()) {
            share.backward();
        }
        return new double[][] {perPair.toDoubleArray(), grad(policyChosen, chunk), grad(policyRejected, chunk),
                grad(beta, chunk), beta.toDoubleArray()};
    }

    /**
     * Fails when {@code out} names the file {@code in} names: writing the results would replace the
     * pairs they are computed from.
     */
    static void refuseSameFile(Path in, Path out) {
        try {
            if (Files.exists(out) && Files.exists(in) && Files.isSameFile(in, out)) {
                throw new IllegalArgumentException("the output " + out + " is the input file " + in
                        + (out.equals(in) ? "" : " under another name")
                        + "; writing the results there would destroy the pairs: choose another output file");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot compare " + in + " with " + out + ": " + RunFiles.reason(e), e);
        }
    }

    /** Each pair's β: its own or the default, or the fitted scheme's, computed batch by batch as the fit did. */
    private double[] betas(Path in, PairFile.Chunk chunk) {
        if (fitted == null) {
            return chunk.column(PairFile.BETA);
        }
        double[] b = new double[chunk.size()];
        int size = fitted.batchSize();
        for (int from = 0; from < chunk.size(); from += size) {
            int to = Math.min(chunk.size(), from + size);
            PreferenceBatch.Builder batch = PreferenceBatch.of(range(chunk, PairFile.POLICY_CHOSEN, from, to),
                    range(chunk, PairFile.POLICY_REJECTED, from, to), range(chunk, PairFile.REF_CHOSEN, from, to),
                    range(chunk, PairFile.REF_REJECTED, from, to));
            if (fitted.hasLengths()) {
                batch.lengths(range(chunk, PairFile.CHOSEN_LENGTH, from, to), range(chunk, PairFile.REJECTED_LENGTH, from, to));
            }
            if (fitted.hasPrompt()) {
                batch.prompt(range(chunk, PairFile.PROMPT_LOGPS, from, to), range(chunk, PairFile.PROMPT_LENGTH, from, to));
            }
            if (fitted.featureDim() > 0) {
                batch.features(Tensor.of(DType.FLOAT32, chunk.features(from, to), to - from, fitted.featureDim()));
            }
            double[] values;
            try (var noGrad = Tensor.noGrad()) {
                values = scheme.beta(batch.build()).toDoubleArray();
            }
            for (int i = 0; i < values.length; i++) {
                // β < 0 reverses a preference; NaN or ∞ is no β.
                if (!(values[i] >= 0) || Double.isInfinite(values[i])) {
                    throw new IllegalStateException(in + ", line " + (chunk.firstLine() + from + i) + ": "
                            + fitted.describe() + " gives β = " + values[i] + " there");
                }
            }
            System.arraycopy(values, 0, b, from, values.length);
        }
        return b;
    }

    /** The same column and rows, the way the fit batched them: log-probabilities and lengths in float64. */
    private static Tensor range(PairFile.Chunk chunk, int j, int from, int to) {
        return Tensor.of(DType.FLOAT64, chunk.column(j, from, to), to - from);
    }

    private static Tensor column(PairFile.Chunk chunk, int j) {
        return Tensor.of(DType.FLOAT64, chunk.column(j), chunk.size());
    }

    /** A leaf's gradient, zero where the loss does not depend on it. */
    private static double[] grad(Tensor leaf, PairFile.Chunk chunk) {
        Tensor g = leaf.grad();
        return g == null ? new double[chunk.size()] : g.toDoubleArray();
    }

    private void write(JsonGenerator gen, Path in, PairFile.Chunk chunk, double[][] results, PreferenceMetrics metrics)
            throws IOException {
        for (int i = 0; i < chunk.size(); i++) {
            gen.writeStartObject();
            for (int f = 0; f < OUTPUT.length; f++) {
                double v = results[f][i];
                // JSON has no NaN or infinity, and a result file with holes is no result.
                if (!Double.isFinite(v)) {
                    throw new IllegalStateException(in + ", line " + (chunk.firstLine() + i) + ": loss '" + lossName
                            + "' gives " + OUTPUT[f] + " = " + v + " there");
                }
                gen.writeNumberField(OUTPUT[f], v);
            }
            if (fitted != null) {
                gen.writeNumberField("beta", results[OUTPUT.length][i]);
            }
            gen.writeEndObject();
            gen.writeRaw('\n');
        }
        int n = chunk.size();
        double[] c = new double[n];
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            c[i] = chunk.get(PairFile.POLICY_CHOSEN, i) - chunk.get(PairFile.REF_CHOSEN, i);
            r[i] = chunk.get(PairFile.POLICY_REJECTED, i) - chunk.get(PairFile.REF_REJECTED, i);
        }
        metrics.add(c, r, chunk.column(PairFile.POLICY_CHOSEN), chunk.column(PairFile.POLICY_REJECTED),
                results[OUTPUT.length], results[0]);
    }
}
