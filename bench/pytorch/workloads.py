"""PyTorch counterparts of betalab's benchmark workloads (bench/src/main/java/betalab/bench/Workloads.java).

Same sizes, steps, optimizer and precision (float32) as the Java side, two intra-op threads.
Each workload is warmed up, then timed over several repetitions (time.perf_counter, wall clock);
the median is reported. Run with Debian's python3-torch:

    /usr/bin/python3 bench/pytorch/workloads.py [--only a,b] [--reps N] [--warmup N] [--json FILE]
"""
import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

THREADS = 2

# ---------------------------------------------------------------- the seed experiment
# reference/pytorch/seed_experiment.py's computation, without its printing.


class BetaNetwork(nn.Module):
    def __init__(self, input_dim, hidden_dim):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(input_dim, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, 1),
            nn.Softplus(),  # beta(x) > 0
        )

    def forward(self, x):
        return self.net(x)


def seed_experiment(seed=42, epochs=200, samples=20, dim=5, hidden=10, lr=0.01):
    torch.manual_seed(seed)
    n, half = samples, samples // 2
    x = torch.randn(n, dim)
    y_w = torch.randn(n, 1)
    y_l = torch.randn(n, 1)
    delta = (y_w - y_l).squeeze() + torch.randn(n) * 0.1
    delta[half:] = -torch.abs(delta[half:])
    delta[:half] = torch.abs(delta[:half])

    beta_net = BetaNetwork(dim, hidden)
    sigmoid = nn.Sigmoid()
    optimizer = optim.Adam(beta_net.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        beta_x = beta_net(x).squeeze()
        loss = -torch.log(sigmoid(beta_x * delta)).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        beta = beta_net(x).squeeze().numpy()
        _ = (beta[:half].mean(), beta[half:].mean())
    return losses[-1]


def seed():
    return seed_experiment()


def sweep():
    """The seed experiment for seeds 0 … 63, one after another."""
    return sum(seed_experiment(seed=s) for s in range(64))


MEDIUM = dict(seed=0, epochs=50, samples=512, dim=1024, hidden=256, lr=0.01)


def medium_flops():
    b, i, h, steps = MEDIUM["samples"], MEDIUM["dim"], MEDIUM["hidden"], MEDIUM["epochs"]
    first, second = 2.0 * b * i * h, 2.0 * b * h
    return steps * (2 * first + 3 * second) + first + second


def medium():
    return seed_experiment(**MEDIUM)


# ---------------------------------------------------------------- bandit DPO
# Trainer.trainStep's work for the log-linear policy on the synthetic bandit (examples/bandit-*.yaml).


def bandit(learnable, seed=0, prompts=4096, dx=16, dy=16, k=8, batch_size=256, steps=300, beta=0.1, lr=0.01,
           eval_fraction=0.2):
    noise = 0.2 if learnable else 0.0
    torch.manual_seed(seed)
    w_star = torch.randn(dy, dx) / (dx * dy) ** 0.5
    x = torch.randn(prompts, dx)
    y = torch.randn(prompts, k, dy)
    reward = torch.einsum("nkd,nd->nk", y, x @ w_star.T)

    policy = nn.Linear(dx, dy, bias=False)
    reference = nn.Linear(dx, dy, bias=False)
    reference.load_state_dict(policy.state_dict())
    for p in reference.parameters():
        p.requires_grad_(False)

    def log_probs(net, xs, ys):
        rep = net(xs)
        scores = (ys * rep.reshape(-1, 1, dy)).sum(2)
        return scores - torch.logsumexp(scores, 1, keepdim=True), rep

    n_train = prompts - round(prompts * eval_fraction)
    with torch.no_grad():
        ref_logps, _ = log_probs(reference, x[:n_train], y[:n_train])
        probs = ref_logps.exp()
        first = torch.multinomial(probs, 1).squeeze(1)
        rest = probs.scatter(1, first[:, None], 0.0)
        second = torch.multinomial(rest, 1).squeeze(1)
        rows = torch.arange(n_train)
        p_first = torch.sigmoid(reward[rows, first] - reward[rows, second])
        first_wins = torch.rand(n_train) < p_first
        flipped = torch.rand(n_train) < noise
        first_labelled = first_wins != flipped
        chosen = torch.where(first_labelled, first, second)
        rejected = torch.where(first_labelled, second, first)
    pair_prompt = rows

    params = list(policy.parameters())
    if learnable:
        head = nn.Sequential(nn.Linear(dy, 32), nn.ReLU(), nn.Linear(32, 1))
        params += list(head.parameters())
    optimizer = optim.Adam(params, lr=lr)

    batches = (n_train + batch_size - 1) // batch_size
    order = None
    last = 0.0
    sink = 0.0
    for step in range(1, steps + 1):
        position = (step - 1) % batches
        if position == 0:
            order = torch.randperm(n_train)
        picked = order[position * batch_size:(position + 1) * batch_size]
        prompt = pair_prompt[picked]
        xb, yb = x[prompt], y[prompt]
        logps, rep = log_probs(policy, xb, yb)
        with torch.no_grad():
            ref, _ = log_probs(reference, xb, yb)
        _neg_entropy = (logps.exp() * logps).sum(1)
        c_idx, r_idx = chosen[picked][:, None], rejected[picked][:, None]
        pc, pr = logps.gather(1, c_idx).squeeze(1), logps.gather(1, r_idx).squeeze(1)
        rc, rr = ref.gather(1, c_idx).squeeze(1), ref.gather(1, r_idx).squeeze(1)
        c, r = pc - rc, pr - rr
        if learnable:
            b = F.softplus(head(rep)).flatten()
        else:
            b = torch.full_like(pc, beta)
        per_pair = -F.logsigmoid(b * (c - r))
        loss = per_pair.mean()
        if not (torch.isfinite(b).all() and torch.isfinite(loss)):
            raise FloatingPointError(f"non-finite value at step {step}")
        optimizer.zero_grad()
        loss.backward()
        grad_norm = torch.sqrt(sum((p.grad ** 2).sum() for p in params if p.grad is not None)).item()
        optimizer.step()
        last = loss.item()
        with torch.no_grad():  # TRL's reward metrics, as Trainer logs them
            bc, br = b * c, b * r
            sink += (bc.mean() + br.mean() + (bc > br).float().mean() + pc.mean() + pr.mean() + b.mean()).item()
        sink += grad_norm
    return last


def bandit_dpo():
    return bandit(False)


def bandit_learnable():
    return bandit(True)


# ---------------------------------------------------------------- single products
# bench/src/main/java/betalab/bench/Products.java: (name, batch, m, k, n, form); "NT" is x·Wᵀ (W stored
# n×k), "TN" gᵀ·x (g stored k×m), "NN" g·W. Transposes are views, as autograd makes them.
PRODUCTS = [
    ("gemm-medium-forward", 1, 512, 1024, 256, "NT"),
    ("gemm-medium-weight-grad", 1, 256, 512, 1024, "TN"),
    ("gemm-medium-input-grad", 1, 512, 256, 1024, "NN"),
    ("gemm-768x128x384", 1, 768, 128, 384, "NT"),
    ("gemm-768x128x512", 1, 768, 128, 512, "NT"),
    ("gemm-4x64x32x64", 4, 64, 32, 64, "NT"),
]


def product_flops(batch, m, k, n):
    return 2.0 * batch * m * k * n


def product_calls(batch, m, k, n):
    """As Products.callsPerRepetition: about 2 GFLOP a repetition."""
    return max(1, math.ceil(2e9 / product_flops(batch, m, k, n)))


def product_job(batch, m, k, n, form):
    gen = torch.Generator().manual_seed(11)
    lead = (batch,) if batch > 1 else ()
    a = torch.rand(*lead, *((k, m) if form[0] == "T" else (m, k)), generator=gen) * 2 - 1
    b = torch.rand(*lead, *((n, k) if form[1] == "T" else (k, n)), generator=gen) * 2 - 1
    x = a.transpose(-1, -2) if form[0] == "T" else a
    y = b.transpose(-1, -2) if form[1] == "T" else b
    calls = product_calls(batch, m, k, n)

    def job():
        total = 0
        for _ in range(calls):
            total += torch.matmul(x, y).numel()
        return total
    return job


WORKLOADS = {
    "seed": (seed, 10, 30),
    "sweep": (sweep, 1, 5),
    "medium": (medium, 1, 3),
    "bandit-dpo": (bandit_dpo, 2, 7),
    "bandit-learnable": (bandit_learnable, 2, 7),
}
for _name, *_shape in PRODUCTS:
    WORKLOADS[_name] = (product_job(*_shape), 10, 15)
import lm  # noqa: E402  (bench/pytorch/lm.py: the language-model workloads)
WORKLOADS.update(lm.WORKLOADS)
PRODUCT_SHAPES = {name: shape for name, *shape in PRODUCTS}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--only", help="comma-separated workload names")
    p.add_argument("--reps", type=int)
    p.add_argument("--warmup", type=int)
    p.add_argument("--json", metavar="FILE")
    a = p.parse_args()
    torch.set_num_threads(THREADS)
    torch.set_default_dtype(torch.float32)
    only = a.only.split(",") if a.only else None
    results = {}
    for name, (job, warmup, reps) in WORKLOADS.items():
        if only and name not in only:
            continue
        warmup = min(warmup, a.warmup) if a.warmup is not None else warmup
        reps = a.reps or reps
        checksum = None
        for _ in range(warmup):
            checksum = job()
        times = []
        cpu = []
        for _ in range(reps):
            c0 = time.process_time()
            t0 = time.perf_counter()
            checksum = job()
            times.append((time.perf_counter() - t0) * 1e3)
            cpu.append((time.process_time() - c0) * 1e3)
        if name in PRODUCT_SHAPES:
            batch, m, k, n, _form = PRODUCT_SHAPES[name]
            calls = product_calls(batch, m, k, n)
            times = [t / calls for t in times]
            cpu = [t / calls for t in cpu]
        r = {"median_ms": statistics.median(times), "min_ms": min(times), "times_ms": times,
             "cpu_median_ms": statistics.median(cpu), "checksum": checksum}
        if name in PRODUCT_SHAPES:
            r["calls_per_rep"] = calls
            r["flops"] = product_flops(batch, m, k, n)
            r["gflops"] = r["flops"] / (r["median_ms"] * 1e6)
        if name == "medium":
            r["flops"] = medium_flops()
            r["gflops"] = medium_flops() / (r["median_ms"] * 1e6)
        results[name] = r
        print(f"pytorch {name:<24} median {r['median_ms']:10.3f} ms  min {r['min_ms']:10.3f} ms  "
              f"cpu {r['cpu_median_ms']:10.3f} ms  ({reps} reps, {warmup} warm-up)", file=sys.stderr)
    out = {"threads": torch.get_num_threads(), "torch": torch.__version__, "workloads": results}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    else:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
