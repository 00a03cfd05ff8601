"""beta-DPO's batch-level update rule, transcribed in plain Python from the authors' code.

Source: junkangwu/beta-DPO, trainers.py (commit 6f3abb8e): BasicTrainer.update_and_sync_tensor_mean
and preference_loss with loss_config.mode_loss == "beta_DPO". Per micro-batch (one slice of the
gradient-accumulation loop), in this order:

    gap        = h = (pi_c - ref_c) - (pi_r - ref_r)          # raw margin, not times beta
    gap_mean   = 0.9 * gap_mean + 0.1 * gap.mean()            # both start at 0
    gap_std    = 0.9 * gap_std  + 0.1 * gap.std()             # torch.std: unbiased
    weight     = exp(-0.5 * ((gap - gap_mean) / gap_std) ** 2)
    sample_num = int(n * (1 - mode_weight))
    kept       = torch.multinomial(weight, sample_num, replacement=False)
    beta_used  = clamp(beta * (1 + a * (gap[kept].mean() - gap_mean)), min=1e-3)

torch.multinomial without replacement draws by an exponential race (ATen's multinomial: q ~ Exp(1),
result = topk(p / q)). So that the Java test can reproduce the draw, this script draws one uniform
u_i per pair of each micro-batch (Python's random.Random(seed), in pair order), sets q_i = -log(u_i)
and keeps the sample_num pairs of largest weight_i / q_i. The uniforms are written to the golden;
the Java test hands them to BetaDpo through a generator that replays them, in the same order.

No torch needed (Python 3 standard library only). Run from the repository root:

    python3 reference/pytorch/beta_dpo_trace.py --out models/src/test/resources/golden/beta-dpo-trace.json
"""
import argparse
import json
import math
import random

BETA0 = 0.1
A = 0.6
GAMMA = 0.9
MODE_WEIGHT = 0.2
MICRO_BATCH = 32
# Batch sizes of the steps: 64 = two micro-batches of 32; 40 = 32 then 8; 10 = one short micro-batch.
BATCHES = [64, 64, 40, 10, 64, 32]


def margins(rng, n, step):
    """Margins drifting upward and widening with the step, as training does."""
    return [rng.gauss(0.5 * step, 1.0 + 0.5 * step) for _ in range(n)]


def trace(seed):
    rng = random.Random(seed)
    gap_mean, gap_std = 0.0, 0.0
    steps = []
    for step, n in enumerate(BATCHES):
        h = margins(rng, n, step)
        micro = []
        for start in range(0, n, MICRO_BATCH):
            gap = h[start:start + MICRO_BATCH]
            k = len(gap)
            mean = sum(gap) / k
            std = math.sqrt(sum((g - mean) ** 2 for g in gap) / (k - 1))
            gap_mean = GAMMA * gap_mean + (1 - GAMMA) * mean
            gap_std = GAMMA * gap_std + (1 - GAMMA) * std
            weight = [math.exp(-0.5 * ((g - gap_mean) / gap_std) ** 2) for g in gap]
            sample_num = int(k * (1 - MODE_WEIGHT))
            uniforms = [rng.random() for _ in range(k)]
            keys = [w / -math.log(u) for w, u in zip(weight, uniforms)]
            kept = sorted(sorted(range(k), key=lambda i: -keys[i])[:sample_num])
            used = sum(gap[i] for i in kept) / len(kept)
            beta = max(1e-3, BETA0 * (1 + A * (used - gap_mean)))
            micro.append({"start": start, "uniforms": uniforms, "gap_mean": gap_mean, "gap_std": gap_std,
                          "kept": [start + i for i in kept], "beta": beta})
        steps.append({"margins": h, "micro_batches": micro})
    return steps


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    golden = {"source": "reference/pytorch/beta_dpo_trace.py", "seed": args.seed,
              "config": {"beta0": BETA0, "alpha": A, "momentum": GAMMA, "mode_weight": MODE_WEIGHT,
                         "micro_batch": MICRO_BATCH},
              "steps": trace(args.seed)}
    with open(args.out, "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
