"""epsilon-DPO's instance-level KL penalty rule, transcribed in torch from the authors' code.

Source: oddqueue/e-dpo, trainer.py (EpsilonDPOTrainer.concatenated_forward with ref_logits,
dpo_loss and get_batch_loss_metrics). For each step, from the policy's and the reference's logits
at every completion position (float64 here):

    p_logits = (1 + eps) * logits - eps * ref_logits
    n_logits = (1 - eps) * logits + eps * ref_logits
    logps(l) = sum over completion positions of log_softmax(l)[label]      (masked)
    lr, p_lr, n_lr = chosen - rejected of logps(logits), logps(p_logits), logps(n_logits)
    steps     = +1 where p_lr > lr > n_lr, -1 where n_lr > lr > p_lr, else 0
    beta_i    = beta / (1 + eps * steps)                                    (the pair's beta)
    beta      = beta / (1 + eps * mean(steps))                              (after the step)

The logits are random (torch.manual_seed), the reference's drawn near the policy's so that all
three cases occur. Completion lengths vary per completion; positions past a length are masked
(their logits are still drawn). The golden holds each step's logits, labels, lengths, the policy's
summed completion log-probs, and the expected steps, pair betas and global beta.

Run from the repository root:

    python3 reference/pytorch/epsilon_dpo_trace.py --out models/src/test/resources/golden/epsilon-dpo-trace.json
"""
import argparse
import json

import torch

BETA0 = 0.1
EPSILON = 0.2
PAIRS = 8
WIDTH = 3
VOCAB = 5
STEPS = 4


def summed_logps(logits, labels, mask):
    per_token = torch.gather(logits.log_softmax(-1), dim=2, index=labels.unsqueeze(2)).squeeze(2)
    return (per_token * mask).sum(-1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.manual_seed(11)
    beta = BETA0
    steps_out = []
    for _ in range(STEPS):
        logits = torch.randn(2 * PAIRS, WIDTH, VOCAB, dtype=torch.float64) * 2
        ref_logits = logits + torch.randn(2 * PAIRS, WIDTH, VOCAB, dtype=torch.float64) * 0.7
        labels = torch.randint(0, VOCAB, (2 * PAIRS, WIDTH))
        lengths = torch.randint(1, WIDTH + 1, (2 * PAIRS,))
        mask = (torch.arange(WIDTH).unsqueeze(0) < lengths.unsqueeze(1)).double()

        logps = summed_logps(logits, labels, mask)
        ref_logps = summed_logps(ref_logits, labels, mask)
        p_logps = summed_logps((1 + EPSILON) * logits - EPSILON * ref_logits, labels, mask)
        n_logps = summed_logps((1 - EPSILON) * logits + EPSILON * ref_logits, labels, mask)
        lr = logps[:PAIRS] - logps[PAIRS:]
        p_lr = p_logps[:PAIRS] - p_logps[PAIRS:]
        n_lr = n_logps[:PAIRS] - n_logps[PAIRS:]
        steps = 1 * ((p_lr > lr) & (lr > n_lr)) - 1 * ((n_lr > lr) & (lr > p_lr))
        pair_beta = beta / (1 + EPSILON * steps.double())
        steps_out.append({
            "logits": logits.flatten().tolist(),
            "ref_logits": ref_logits.flatten().tolist(),
            "labels": labels.flatten().tolist(),
            "lengths": lengths.tolist(),
            "logps": logps.tolist(),
            "ref_logps": ref_logps.tolist(),
            "steps": steps.tolist(),
            "pair_beta": pair_beta.tolist(),
        })
        beta = beta / (1 + steps.double().mean().item() * EPSILON)
        steps_out[-1]["beta_after"] = beta
    counts = {v: sum(s["steps"].count(v) for s in steps_out) for v in (-1, 0, 1)}
    print("steps -1/0/+1:", counts[-1], counts[0], counts[1])
    with open(args.out, "w") as f:
        json.dump({"beta0": BETA0, "epsilon": EPSILON, "pairs": PAIRS, "width": WIDTH, "vocab": VOCAB,
                   "steps": steps_out}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
