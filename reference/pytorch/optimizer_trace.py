"""Golden traces of torch.optim.Adam / AdamW / SGD on a fixed float64 parameter
vector with a fixed sequence of 12 explicit gradients (no model involved)."""
import argparse
import json

import torch

INITIAL = [0.5, -1.2, 3.0, 0.0, -0.3, 2.2]
STEPS = 12

CASES = [
    ("adam_default", "adam", dict(lr=1e-3)),
    ("adam_lr0.01_betas0.8_0.95_eps1e-6", "adam", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6)),
    ("adam_weight_decay0.1", "adam", dict(lr=1e-3, weight_decay=0.1)),
    ("adamw_lr0.01_weight_decay0.1", "adamw", dict(lr=0.01, weight_decay=0.1)),
    ("sgd_lr0.1", "sgd", dict(lr=0.1)),
    ("sgd_lr0.1_momentum0.9", "sgd", dict(lr=0.1, momentum=0.9)),
    ("sgd_lr0.1_momentum0.9_nesterov", "sgd", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("sgd_lr0.05_momentum0.5_dampening0.1_wd0.01", "sgd",
     dict(lr=0.05, momentum=0.5, dampening=0.1, weight_decay=0.01)),
]
OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}
HYPER_KEYS = {"adam": ["lr", "betas", "eps", "weight_decay"],
              "adamw": ["lr", "betas", "eps", "weight_decay"],
              "sgd": ["lr", "momentum", "dampening", "weight_decay", "nesterov"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="optim/src/test/resources/golden/optimizer-trace.json")
    a = ap.parse_args()
    torch.set_num_threads(1)

    torch.manual_seed(11)
    grads = torch.randn(STEPS, len(INITIAL), dtype=torch.float64)

    cases = []
    for name, kind, kwargs in CASES:
        p = torch.tensor(INITIAL, dtype=torch.float64, requires_grad=True)
        opt = OPTIMIZERS[kind]([p], **kwargs)
        group = opt.param_groups[0]  # effective hyper-parameters, defaults included
        hyper = {k: (list(group[k]) if k == "betas" else group[k]) for k in HYPER_KEYS[kind]}
        params = []
        for t in range(STEPS):
            p.grad = grads[t].clone()
            opt.step()
            params.append(p.detach().tolist())
        cases.append({"name": name, "optimizer": kind, "hyper": hyper, "params": params})

    out = {"torch_version": torch.__version__, "initial": INITIAL,
           "grads": grads.tolist(), "cases": cases}
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
