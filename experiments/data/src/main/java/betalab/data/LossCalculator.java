package betalab.data;

import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import betalab.training.PreferenceMetrics;
import betalab.training.RunFiles;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A preference loss on precomputed log-probabilities ({@code betalab loss}): each pair's loss and
 * its gradients in the file's mean loss, in float64, streamed in chunks (a batch-coupled loss sees
 * the whole file as one chunk), written whole or not at all; and the file's preference metrics.
 */
public final class LossCalculator {
    /** Pairs computed at once when a loss allows it: bounded memory, and per-operation costs spread thin. */
    public static final int CHUNK = 8192;

    /** The fields of a result line. */
    private static final String[] OUTPUT = {"loss", "d_policy_chosen_logps", "d_policy_rejected_logps", "d_beta"};

    private final PreferenceLoss loss;
    private final String lossName;
    private final double defaultBeta;

    /** {@code defaultBeta}: β of pairs without a beta field, and the base β of the TRL-named metrics. */
    public LossCalculator(PreferenceLoss loss, String lossName, double defaultBeta) {
        this.loss = loss;
        this.lossName = lossName;
        this.defaultBeta = defaultBeta;
    }

    /** Reads every pair of {@code in}, writes one result line per input line to {@code out}; returns the metrics. */
    public PreferenceMetrics run(Path in, Path out) {
        PairFile pairs = new PairFile(in, defaultBeta);
        long n = pairs.read(CHUNK, chunk -> { });
        boolean coupled = loss.batchCoupled();
        if (coupled && n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(in + ": " + n + " pairs are too many for one batch of " + lossName);
        }
        int chunkSize = coupled ? (int) n : CHUNK;
        PreferenceMetrics metrics = new PreferenceMetrics(defaultBeta);
        // Schubfach, not JDK 17's Double.toString: the same round-tripping digits, several times faster.
        JsonFactory json = JsonFactory.builder().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();
        RunFiles.write(out, stream -> {
            try (JsonGenerator gen = json.createGenerator(stream, JsonEncoding.UTF8)) {
                gen.setRootValueSeparator(null);
                long again = pairs.read(chunkSize, chunk -> write(gen, in, chunk, evaluate(chunk, n), metrics));
                if (again != n) {
                    throw new IllegalStateException(in + " changed while being read: " + n + " pairs, then " + again);
                }
            }
        });
        return metrics;
    }

    /** Each pair's loss and its gradients in the mean loss over all {@code total} pairs, by {@link #OUTPUT}. */
    private double[][] evaluate(PairFile.Chunk chunk, long total) {
        Tensor policyChosen = column(chunk, PairFile.POLICY_CHOSEN).asParameter();
        Tensor policyRejected = column(chunk, PairFile.POLICY_REJECTED).asParameter();
        Tensor beta = column(chunk, PairFile.BETA).asParameter();
        PreferenceBatch batch = PreferenceBatch.of(policyChosen, policyRejected,
                        column(chunk, PairFile.REF_CHOSEN), column(chunk, PairFile.REF_REJECTED))
                .lengths(column(chunk, PairFile.CHOSEN_LENGTH), column(chunk, PairFile.REJECTED_LENGTH)).build();
        Tensor perPair = loss.perPair(batch, beta);
        if (perPair.rank() != 1 || perPair.size() != chunk.size()) {
            throw new IllegalStateException("the loss returned shape " + Arrays.toString(perPair.shape())
                    + " for " + chunk.size() + " pairs");
        }
        // Summing a chunk and dividing by the file's N gives each pair exactly its share of the mean
        // loss's gradient, as a pair's loss depends on no other pair; a batch-coupled loss gets the
        // whole file as its one chunk, where this is the mean itself.
        Tensor share = perPair.sum().div(total);
        if (share.requiresGrad()) {
            share.backward();
        }
        return new double[][] {perPair.toDoubleArray(), grad(policyChosen, chunk), grad(policyRejected, chunk),
                grad(beta, chunk)};
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
                chunk.column(PairFile.BETA), results[0]);
    }
}
