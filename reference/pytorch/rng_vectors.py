"""Golden vectors for torch's CPU generator (torch.rand / torch.randn, float32)
and for nn.Linear's default initialisation."""
import argparse
import json

import torch
import torch.nn as nn

CASES = [
    (42, [("randn", 100), ("randn", 20), ("randn", 20), ("randn", 20)]),
    (0, [("rand", 5), ("rand", 16), ("rand", 17)]),
    (1, [("randn", 1), ("randn", 5), ("randn", 15), ("randn", 16),
         ("randn", 17), ("randn", 33), ("randn", 3)]),
    (2, [("randn", 7), ("randn", 7), ("rand", 3)]),
]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="api/src/test/resources/golden/torch-rng.json")
    a = p.parse_args()
    torch.set_num_threads(1)

    cases = []
    for seed, ops in CASES:
        torch.manual_seed(seed)
        calls = []
        for op, n in ops:
            t = getattr(torch, op)(n)
            calls.append({"op": op, "n": n, "values": t.tolist()})
        cases.append({"seed": seed, "calls": calls})

    torch.manual_seed(3)
    calls = []
    for fan_in, fan_out in [(5, 10), (10, 1)]:
        lin = nn.Linear(fan_in, fan_out)
        calls.append({"op": "linear", "in": fan_in, "out": fan_out,
                      "weight": lin.weight.tolist(), "bias": lin.bias.tolist()})
    cases.append({"name": "linear_init", "seed": 3, "calls": calls})

    with open(a.out, "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
