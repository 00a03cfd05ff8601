"""Turns one bench/run's measurements into the table: workload, betalab, PyTorch, ratio, target, met.

    python3 bench/report.py bench/results/work bench/results

Reads the JSON and text files bench/run wrote into the first directory, prints the table as
Markdown and writes it, with every number it came from, to latest.md and latest.json in the second.
"""
import json
import os
import re
import statistics
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def numbers(path):
    try:
        with open(path) as f:
            return [float(line) for line in f if line.strip()]
    except OSError:
        return []


def rss_mb(path):
    try:
        with open(path) as f:
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read())
        return int(m.group(1)) / 1024 if m else None
    except OSError:
        return None


def fmt_ms(v):
    if v is None:
        return "n/a"
    if v < 1:
        return f"{v * 1000:,.1f} µs"
    if v < 10:
        return f"{v:,.2f} ms"
    return f"{v:,.1f} ms" if v < 100 else f"{v:,.0f} ms"


def main():
    work, dest = sys.argv[1], sys.argv[2]
    machine = load(os.path.join(work, "machine.json")) or {}
    java_run = load(os.path.join(work, "java.json")) or {}
    java = java_run.get("workloads", {})
    torch = (load(os.path.join(work, "torch.json")) or {}).get("workloads", {})
    sgemm = {}
    for name in os.listdir(work):
        if name.startswith("sgemm-") and name.endswith(".json"):
            s = load(os.path.join(work, name))
            if s:
                sgemm[s["threads"]] = s
    machine_gflops = max((s["gflops"] for s in sgemm.values()), default=None)

    def med(side, name):
        w = side.get(name) or {}
        return w.get("median_ms")

    rows = []

    def ratio_row(workload, definition, b, p, limit, target_text, extra=""):
        ratio = b / p if b and p else None
        met = None if ratio is None else ratio <= limit
        rows.append({"workload": workload, "definition": definition, "betalab_ms": b, "pytorch_ms": p,
                     "ratio": ratio, "target": target_text, "met": met, "extra": extra})

    ratio_row("seed", "20×5 → 10 → 1 Softplus MLP, Adam lr 0.01, 200 steps, in-process",
              med(java, "seed"), med(torch, "seed"), 0.5, "≤ 0.5 × PyTorch")
    ratio_row("sweep", "the seed for 64 seeds (betalab: a pool of %s threads; PyTorch: one after another)"
              % machine.get("threads", 2), med(java, "sweep"), med(torch, "sweep"), 0.1, "≤ 0.1 × PyTorch")
    if med(java, "sweep-sequential"):
        ratio_row("sweep, sequential (info)", "the same 64 seeds one after another on both sides",
                  med(java, "sweep-sequential"), med(torch, "sweep"), float("inf"), "—")
    for key, label in (("medium", "medium (jvm backend)"), ("medium-nd4j", "medium (nd4j backend)")):
        w = java.get(key) or {}
        b = w.get("median_ms")
        p = med(torch, "medium")
        gflops = w.get("gflops")
        share = gflops / machine_gflops if gflops and machine_gflops else None
        extra = ""
        if gflops:
            extra = f"{gflops:.1f} GFLOP/s"
            if share is not None:
                extra += f" = {100 * share:.0f} % of sgemm {machine_gflops:.0f} GFLOP/s"
        if w.get("error"):
            extra = "failed: " + w["error"][:80]
        ratio = b / p if b and p else None
        rows.append({"workload": label, "definition": "batch 512, 1024 → 256 → 1 Softplus MLP, Adam, 50 steps",
                     "betalab_ms": b, "pytorch_ms": p, "ratio": ratio,
                     "target": "≤ 1.0 × PyTorch", "met": None if ratio is None else ratio <= 1.0, "extra": extra,
                     "gflops": gflops, "sgemm_gflops": machine_gflops})
    # Single float32 products (bench/src/main/java/betalab/bench/Products.java), time per call: the
    # target is betalab's throughput against the machine's sgemm in the same run.
    for key in sorted((k for k in java if k.startswith("gemm-")), key=lambda k: list(java).index(k)):
        w = java.get(key) or {}
        t = torch.get(key) or {}
        b, p = w.get("median_ms"), t.get("median_ms")
        gflops = w.get("gflops")
        share = gflops / machine_gflops if gflops and machine_gflops else None
        extra = ""
        if gflops:
            extra = f"{gflops:.1f} GFLOP/s"
            if share is not None:
                extra += f" = {100 * share:.0f} % of sgemm"
            if t.get("gflops"):
                extra += f"; PyTorch {t['gflops']:.1f} GFLOP/s"
        if w.get("error"):
            extra = "failed: " + w["error"][:80]
        rows.append({"workload": key, "definition": "one float32 product (per call)", "betalab_ms": b,
                     "pytorch_ms": p, "ratio": b / p if b and p else None, "target": "≥ 60 % of sgemm",
                     "met": None if share is None else share >= 0.6, "extra": extra, "gflops": gflops,
                     "pytorch_gflops": t.get("gflops"), "sgemm_gflops": machine_gflops})
    ratio_row("bandit-dpo", "log-linear policy, N 4096, dx = dy = 16, K 8, batch 256, β 0.1, Adam 0.01, 300 steps",
              med(java, "bandit-dpo"), med(torch, "bandit-dpo"), 0.5, "≤ 0.5 × PyTorch")
    ratio_row("bandit-learnable", "the same, β(x; πθ) = Softplus MLP dy → 32 → 1 on the representation",
              med(java, "bandit-learnable"), med(torch, "bandit-learnable"), 0.5, "≤ 0.5 × PyTorch")
    lm_model = "Llama-family decoder, byte vocabulary, hidden 128, 4 layers, 4 heads, context 64, float32"
    ratio_row("lm-step", lm_model + ": one training step on 12 × 64 tokens (forward, cross-entropy, backward, AdamW)",
              med(java, "lm-step"), med(torch, "lm-step"), 1.0, "≤ 1.0 × PyTorch")
    ratio_row("lm-logps", "the same model: summed completion log-probs of 16 pairs (prompt 16, completions 48 tokens)",
              med(java, "lm-logps"), med(torch, "lm-logps"), 1.0, "≤ 1.0 × PyTorch")
    ratio_row("lm-generate", "the same model: 64 tokens after an 8-token prompt, key/value cache",
              med(java, "lm-generate"), med(torch, "lm-generate"), 1.0, "≤ 1.0 × PyTorch")
    ratio_row("lm-dpo", "the same model: one DPO step on 8 pairs (prompt 16, completions 32), reference log-probs "
              "precomputed, sigmoid loss β 0.1, AdamW", med(java, "lm-dpo"), med(torch, "lm-dpo"), 1.0,
              "≤ 1.0 × PyTorch")
    cold_b = numbers(os.path.join(work, "cold-betalab.txt"))
    cold_p = numbers(os.path.join(work, "cold-pytorch.txt"))
    if cold_b and cold_p:
        note = load(os.path.join(work, "launcher-note.json"))
        ratio_row("cold start", f"whole process, `betalab seed` vs `python3 seed_experiment.py`, "
                  f"median of {len(cold_b)}", statistics.median(cold_b), statistics.median(cold_p), 1.0,
                  "≤ 1.0 × PyTorch", note or "")
    rss_b = rss_mb(os.path.join(work, "rss-betalab.txt"))
    rss_p = rss_mb(os.path.join(work, "rss-pytorch.txt"))
    if rss_b:
        rows.append({"workload": "memory", "definition": "peak RSS of `betalab seed` (/usr/bin/time -v)",
                     "betalab_mb": rss_b, "pytorch_mb": rss_p, "target": "≤ 400 MB", "met": rss_b <= 400,
                     "ratio": rss_b / rss_p if rss_p else None, "extra": ""})

    lines = ["| workload | betalab | PyTorch | ratio | target | met? | notes |",
             "|---|---:|---:|---:|---|---|---|"]
    for r in rows:
        if "betalab_mb" in r:
            b = f"{r['betalab_mb']:.0f} MB"
            p = f"{r['pytorch_mb']:.0f} MB" if r.get("pytorch_mb") else "n/a"
        else:
            b, p = fmt_ms(r["betalab_ms"]), fmt_ms(r["pytorch_ms"])
        ratio = f"{r['ratio']:.3f}" if r.get("ratio") else "n/a"
        met = "—" if r["target"] == "—" else ("yes" if r["met"] else ("no" if r["met"] is not None else "n/a"))
        lines.append(f"| {r['workload']} | {b} | {p} | {ratio} | {r['target']} | {met} | {r['extra']} |")
    sg = "; ".join(f"{t} thread{'s' if t > 1 else ''}: {s['gflops']:.0f} GFLOP/s (best {s['best_gflops']:.0f})"
                   for t, s in sorted(sgemm.items()))
    header = [
        f"Measured {machine.get('date', '?')} by `bench/run`{' --quick' if machine.get('quick') else ''}: "
        f"{machine.get('nproc', '?')} × {machine.get('cpu', '?')} ({machine.get('cpu_flags', '')}), "
        f"{machine.get('mem_gib', '?')} GiB; {machine.get('java', '?')}; torch {machine.get('torch', '?')} "
        f"({machine.get('python_torch', '')}); {machine.get('threads', 2)} threads on both sides.",
        f"sgemm 512×1024·1024×256 (numpy/OpenBLAS): {sg or 'n/a'}. "
        f"Load average before: {machine.get('load_before', '?')}, after: "
        f"{load(os.path.join(work, 'load-after.json')) or '?'}. betalab's float32 products: "
        f"{'the jdk.incubator.vector kernel' if java_run.get('vector_module') else 'the plain-Java kernels'}.",
        "Times are medians of the repetitions after warm-up (wall clock); a gemm row's is per call.",
        "",
    ]
    table = "\n".join(header + lines) + "\n"
    print(table)
    os.makedirs(dest, exist_ok=True)
    with open(os.path.join(dest, "latest.md"), "w") as f:
        f.write(table)
    with open(os.path.join(dest, "latest.json"), "w") as f:
        json.dump({"machine": machine, "sgemm": sgemm, "rows": rows, "betalab": java, "pytorch": torch,
                   "cold_start_ms": {"betalab": cold_b, "pytorch": cold_p}}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
