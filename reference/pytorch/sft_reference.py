"""The PyTorch twin of `betalab sft`: the same model, hyper-parameters, learning-rate schedule and
token stream, trained from scratch in plain torch, to check that betalab's training learns as it
should. The two validation-loss curves agree closely, not to the bit: the initial weights and the
training windows are drawn by other generators.

    /usr/bin/python3 reference/pytorch/sft_reference.py --run RUN_DIR [--out CSV] [--threads 2] [--seed N]

RUN_DIR is a completed `betalab sft` run: its config.json gives the hyper-parameters, model/config.json
the architecture, and train.tokens / validation.tokens the packed token streams betalab trained and
validated on (little-endian int32, each document followed by the end-of-text token). The script
evaluates at the steps betalab evaluated, on the same validation windows, and prints both curves side
by side; --out writes them as CSV (step, pytorch_eval_loss, betalab_eval_loss). It also loads betalab's
trained model from RUN_DIR/model with llama_reference.load_model and prints its validation loss next to
the one betalab logged last: the directory reads back in PyTorch as the model betalab trained.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_reference import CONFIG_DEFAULTS, LlamaForCausalLM, load_model, make_config  # noqa: E402


def schedule_factor(n, warmup, decay, floor, steps):
    """transformers' warm-up then constant / linear / cosine decay to floor (betalab's LearningRateSchedule)."""
    if n < warmup:
        return n / max(1, warmup)
    if decay == "constant":
        return 1.0
    progress = (n - warmup) / max(1, steps - warmup)
    shape = max(0.0, 1 - progress) if decay == "linear" else 0.5 * (1 + math.cos(math.pi * progress))
    return max(0.0, floor + (1 - floor) * shape)


def evaluation_starts(validation, context, count):
    """Consecutive windows of the held-out stream, or `count` of them spread evenly (as betalab picks them)."""
    windows = (len(validation) - 1) // context
    n = windows if count == 0 else min(count, windows)
    return [(i * windows // n) * context for i in range(n)]


def windows(stream, starts, context):
    rows = numpy.stack([stream[s:s + context + 1] for s in starts]).astype(numpy.int64)
    rows = torch.from_numpy(rows)
    return rows[:, :-1], rows[:, 1:]


def mean_loss(model, stream, starts, context, batch):
    total, tokens = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(starts), batch):
            x, y = windows(stream, starts[i:i + batch], context)
            logits = model(x)
            total += torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                                                       reduction="sum").item()
            tokens += y.numel()
    return total / tokens


def betalab_curve(run):
    curve = {}
    with open(os.path.join(run, "metrics.jsonl")) as f:
        for line in f:
            row = json.loads(line)
            if "eval/loss" in row:
                curve[row["step"]] = row["eval/loss"]
    return curve


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="a completed betalab sft run directory")
    ap.add_argument("--out", help="CSV of both validation-loss curves")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, help="torch's seed for the initial weights and windows (default: the run's seed)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    with open(os.path.join(a.run, "config.json")) as f:
        config = json.load(f)
    with open(os.path.join(a.run, "model", "config.json")) as f:
        raw = json.load(f)
    c = make_config(**{k: raw[k] for k in CONFIG_DEFAULTS if k in raw})
    train = numpy.fromfile(os.path.join(a.run, "train.tokens"), dtype="<i4")
    validation = numpy.fromfile(os.path.join(a.run, "validation.tokens"), dtype="<i4")

    steps, batch, context = config["steps"], config["batch_size"], config["context"]
    opt, sched = config["optimizer"], config["schedule"]
    if opt["name"] != "adamw":
        raise SystemExit("this reference trains with adamw only, the run used " + opt["name"])

    torch.manual_seed(config["seed"] if a.seed is None else a.seed)
    model = LlamaForCausalLM(c)
    model.init_weights()
    optimizer = torch.optim.AdamW(model.parameters(), lr=opt["lr"], betas=(opt["beta1"], opt["beta2"]),
                                  eps=opt["eps"], weight_decay=opt["weight_decay"])
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda n: schedule_factor(
        n, sched["warmup_steps"], sched["decay"], sched["min_lr_ratio"], steps))

    starts = evaluation_starts(validation, context, config["eval_batches"] * batch)
    every = config["eval_every"]
    last = len(train) - context - 1
    ours = {0: mean_loss(model, validation, starts, context, batch)}
    began = time.time()
    for step in range(1, steps + 1):
        picks = (torch.rand(batch) * (last + 1)).long().clamp(max=last).tolist()
        x, y = windows(train, picks, context)
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        if config["grad_clip"] > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config["grad_clip"])
        optimizer.step()
        scheduler.step()
        if step % every == 0 or step == steps:
            ours[step] = mean_loss(model, validation, starts, context, batch)
            print("step %5d  loss %.4f  eval/loss %.4f  %.1f s" % (step, loss.item(), ours[step], time.time() - began),
                  file=sys.stderr)

    theirs = betalab_curve(a.run)
    # betalab's trained model, read from its Hugging Face directory, scores the validation windows as betalab did.
    final = mean_loss(load_model(os.path.join(a.run, "model")), validation, starts, context, batch)
    print("betalab's model/ loaded here: eval/loss %.6f; betalab logged %.6f at step %d" % (
        final, theirs[max(theirs)], max(theirs)))
    print("%6s  %12s  %12s" % ("step", "pytorch", "betalab"))
    rows = []
    for step in sorted(ours):
        b = theirs.get(step)
        rows.append((step, ours[step], b))
        print("%6d  %12.4f  %12s" % (step, ours[step], "" if b is None else "%.4f" % b))
    print("pytorch: %d steps in %.1f s, %.0f tokens/s on %d threads" % (
        steps, time.time() - began, steps * batch * context / (time.time() - began), a.threads))
    if a.out:
        with open(a.out, "w") as f:
            f.write("step,pytorch_eval_loss,betalab_eval_loss\n")
            for step, p, b in rows:
                f.write("%d,%.6f,%s\n" % (step, p, "" if b is None else "%.6f" % b))


if __name__ == "__main__":
    main()
