package betalab.bench;

import betalab.api.optim.Optimizer;
import betalab.api.policy.Policy;
import betalab.api.preference.PreferenceBatch;
import betalab.api.preference.PreferenceLoss;
import betalab.api.random.TorchRng;
import betalab.api.registry.Registry;
import betalab.api.tensor.DType;
import betalab.api.tensor.Tensor;
import betalab.models.hf.LlamaConfig;
import betalab.models.transformer.LlamaModel;
import betalab.models.transformer.TransformerPolicy;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The language-model workloads, as bench/pytorch/lm.py runs them in PyTorch: a Llama-family decoder
 * at a nanoGPT-CPU-like size (byte vocabulary 256, hidden 128, intermediate 344, 4 layers, 4 heads,
 * context 64), float32.
 * <ul>
 *   <li>lm-step: one training step on 12 sequences of 64 tokens: forward, next-token cross-entropy,
 *       backward, AdamW (lr 1e-3) from the registry;</li>
 *   <li>lm-logps: the summed completion log-probs of 16 pairs (prompt 16 tokens, completions 48), no gradient;</li>
 *   <li>lm-generate: 64 new tokens after an 8-token prompt with the key/value cache;</li>
 *   <li>lm-dpo: one DPO step on 8 preference pairs (prompt 16 tokens, completions 32, chosen and
 *       rejected scored in one batch), the reference's log-probs computed once beforehand (TRL's
 *       precompute_ref_log_probs), sigmoid loss with β 0.1, AdamW.</li>
 * </ul>
 */
final class LmWorkloads {
    static final LlamaConfig CONFIG = new LlamaConfig(256, 128, 344, 4, 4, 4, 128, 1e-6, 10000.0, false, 0.02,
            null, List.of(), null, "float32");
    static final int BATCH = 12;
    static final int CONTEXT = 64;
    static final int PAIRS = 16;
    static final int PROMPT = 16;
    static final int COMPLETION = 48;
    static final int GENERATE_PROMPT = 8;
    static final int GENERATE_TOKENS = 64;
    static final int DPO_PAIRS = 8;
    static final int DPO_PROMPT = 16;
    static final int DPO_COMPLETION = 32;
    static final double DPO_BETA = 0.1;

    private final LlamaModel model = new LlamaModel(CONFIG, new TorchRng(0), DType.FLOAT32);
    private final TransformerPolicy policy = new TransformerPolicy(model);
    private final Optimizer optimizer;
    private final int[][] inputs = new int[BATCH][CONTEXT];
    private final int[] targets = new int[BATCH * CONTEXT];
    private final int[][] prompts = new int[PAIRS][];
    private final int[][] completions = new int[2 * PAIRS][];
    private final int[] promptOf = new int[2 * PAIRS];
    /** Chosen completions 0 … n − 1, rejected n … 2n − 1, completion j after prompt j mod n. */
    private final Policy.Sequences dpoPairs;
    private final PreferenceLoss sigmoid;
    private Tensor refChosen;
    private Tensor refRejected;

    LmWorkloads(Registry registry) {
        optimizer = registry.create(Optimizer.POINT, "adamw", Map.of("lr", 1e-3),
                List.copyOf(model.namedParameters().values()));
        Random random = new Random(1);
        for (int b = 0; b < BATCH; b++) {
            int[] tokens = random.ints(CONTEXT + 1, 0, 256).toArray();
            System.arraycopy(tokens, 0, inputs[b], 0, CONTEXT);
            System.arraycopy(tokens, 1, targets, b * CONTEXT, CONTEXT);
        }
        for (int i = 0; i < PAIRS; i++) {
            prompts[i] = random.ints(PROMPT, 0, 256).toArray();
            completions[i] = random.ints(COMPLETION, 0, 256).toArray();
            completions[PAIRS + i] = random.ints(COMPLETION, 0, 256).toArray();
            promptOf[i] = i;
            promptOf[PAIRS + i] = i;
        }
        int[][] dpoPrompts = new int[DPO_PAIRS][];
        int[][] dpoCompletions = new int[2 * DPO_PAIRS][];
        int[] dpoPromptOf = new int[2 * DPO_PAIRS];
        for (int i = 0; i < DPO_PAIRS; i++) {
            dpoPrompts[i] = random.ints(DPO_PROMPT, 0, 256).toArray();
            dpoCompletions[i] = random.ints(DPO_COMPLETION, 0, 256).toArray();
            dpoCompletions[DPO_PAIRS + i] = random.ints(DPO_COMPLETION, 0, 256).toArray();
            dpoPromptOf[i] = i;
            dpoPromptOf[DPO_PAIRS + i] = i;
        }
        dpoPairs = new Policy.Sequences(dpoPrompts, dpoCompletions, dpoPromptOf);
        sigmoid = registry.create(PreferenceLoss.POINT, "sigmoid", Map.of(), null);
    }

    double step() {
        LlamaModel.Output out = model.forward(inputs);
        Tensor loss = out.logits().crossEntropy(targets);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        return loss.item();
    }

    double logps() {
        try (var noGrad = Tensor.noGrad()) {
            Policy.Scores s = policy.score(new Policy.Sequences(prompts, completions, promptOf));
            return s.sums().sum().item();
        }
    }

    double dpo() {
        if (refChosen == null) {
            // The reference is the model as it stands before the first DPO step, scored once.
            try (var noGrad = Tensor.noGrad()) {
                Tensor sums = policy.score(dpoPairs).sums();
                refChosen = PreferenceBatch.Distributions.chosen(sums);
                refRejected = PreferenceBatch.Distributions.rejected(sums);
            }
        }
        Tensor sums = policy.score(dpoPairs).sums();
        PreferenceBatch batch = PreferenceBatch.of(PreferenceBatch.Distributions.chosen(sums),
                PreferenceBatch.Distributions.rejected(sums), refChosen, refRejected).build();
        Tensor loss = sigmoid.perPair(batch, Tensor.full(sums.dtype(), DPO_BETA, DPO_PAIRS)).mean();
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        return loss.item();
    }

    double generate() {
        int[] prompt = new Random(2).ints(GENERATE_PROMPT, 0, 256).toArray();
        return policy.sample(new int[][] {prompt}, GENERATE_TOKENS, new TorchRng(2))[0].length;
    }
}
