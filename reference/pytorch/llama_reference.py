"""A small Llama-family decoder in plain torch, computed as transformers' modeling_llama
(LlamaForCausalLM, eager attention) computes it, plus a safetensors reader/writer, so betalab's
transformer can be checked against it without transformers or safetensors installed.

Subcommands:
  fixture --out DIR [--tied] [model sizes...]   a model directory (config.json, model.safetensors)
                                                and expected.json (logits, TRL completion log-probs,
                                                parameter gradients) in float32 and float64
  halfs --out DIR                               halfs.safetensors with BF16/F16/F32 tensors and
                                                halfs.json with the float32 bits torch converts them to
  logps --model DIR --in FILE --out FILE        TRL-style chosen/rejected log-probs of tokenized records

Departures from transformers, all for the float64 reference only: transformers computes RMSNorm,
the attention softmax and the rotary cos/sin in float32 even for a float64 model; here a float64
model stays float64 throughout (in float32 the computation is the same as transformers').
"""
import argparse
import json
import math
import os
import struct

import torch

# ------------------------------------------------------------------------------------------ config

# transformers' LlamaConfig defaults, for the fields this model uses.
CONFIG_DEFAULTS = {
    "vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
    "num_attention_heads": 32, "num_key_value_heads": None, "hidden_act": "silu",
    "max_position_embeddings": 2048, "initializer_range": 0.02, "rms_norm_eps": 1e-6,
    "use_cache": True, "pad_token_id": None, "bos_token_id": 1, "eos_token_id": 2,
    "pretraining_tp": 1, "tie_word_embeddings": False, "rope_theta": 10000.0, "rope_scaling": None,
    "attention_bias": False, "attention_dropout": 0.0, "mlp_bias": False, "head_dim": None,
}


def make_config(**fields):
    c = dict(CONFIG_DEFAULTS)
    c.update(fields)
    if c["num_key_value_heads"] is None:
        c["num_key_value_heads"] = c["num_attention_heads"]
    if c["head_dim"] is None:
        c["head_dim"] = c["hidden_size"] // c["num_attention_heads"]
    return c


def config_json(c, torch_dtype="float32"):
    """config.json as transformers' save_pretrained lays it out for LlamaForCausalLM."""
    out = {"architectures": ["LlamaForCausalLM"], "model_type": "llama"}
    out.update({k: c[k] for k in CONFIG_DEFAULTS})
    out["torch_dtype"] = torch_dtype
    return out


# ------------------------------------------------------------------------------------------ model

class RMSNorm(torch.nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        h = x.to(torch.promote_types(dtype, torch.float32))
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * h.to(dtype)


def rotary_cos_sin(c, position_ids, dtype):
    dim = c["head_dim"]
    work = torch.promote_types(dtype, torch.float32)
    inv_freq = 1.0 / (c["rope_theta"] ** (torch.arange(0, dim, 2, dtype=torch.int64).to(work) / dim))
    freqs = position_ids.to(work)[:, :, None] * inv_freq[None, None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rotary(x, cos, sin):
    cos, sin = cos[:, None, :, :], sin[:, None, :, :]  # broadcast over heads
    return x * cos + rotate_half(x) * sin


class Attention(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        h, d = c["hidden_size"], c["head_dim"]
        self.q_proj = torch.nn.Linear(h, c["num_attention_heads"] * d, bias=False)
        self.k_proj = torch.nn.Linear(h, c["num_key_value_heads"] * d, bias=False)
        self.v_proj = torch.nn.Linear(h, c["num_key_value_heads"] * d, bias=False)
        self.o_proj = torch.nn.Linear(c["num_attention_heads"] * d, h, bias=False)

    def forward(self, x, cos, sin, mask):
        c = self.c
        b, t, _ = x.shape
        d, nh, nkv = c["head_dim"], c["num_attention_heads"], c["num_key_value_heads"]
        q = self.q_proj(x).view(b, t, nh, d).transpose(1, 2)
        k = self.k_proj(x).view(b, t, nkv, d).transpose(1, 2)
        v = self.v_proj(x).view(b, t, nkv, d).transpose(1, 2)
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        groups = nh // nkv  # repeat_kv: each kv head serves `groups` consecutive query heads
        k = k.repeat_interleave(groups, dim=1)
        v = v.repeat_interleave(groups, dim=1)
        scores = q @ k.transpose(2, 3) * d ** -0.5 + mask
        probs = torch.softmax(scores, dim=-1, dtype=torch.promote_types(x.dtype, torch.float32)).to(x.dtype)
        out = (probs @ v).transpose(1, 2).reshape(b, t, nh * d)
        return self.o_proj(out)


class Mlp(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        h, i = c["hidden_size"], c["intermediate_size"]
        self.gate_proj = torch.nn.Linear(h, i, bias=False)
        self.up_proj = torch.nn.Linear(h, i, bias=False)
        self.down_proj = torch.nn.Linear(i, h, bias=False)

    def forward(self, x):
        return self.down_proj(torch.nn.functional.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = Attention(c)
        self.mlp = Mlp(c)
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Decoder(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = torch.nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = torch.nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])


class LlamaForCausalLM(torch.nn.Module):
    """Parameter names (state_dict keys) are exactly transformers' LlamaForCausalLM's."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.model = Decoder(c)
        self.lm_head = torch.nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        if c["tie_word_embeddings"]:
            self.lm_head.weight = self.model.embed_tokens.weight

    def init_weights(self):
        """transformers' _init_weights: Linear and Embedding weights ~ N(0, initializer_range),
        the padding row of the embedding zero, norm weights one."""
        std = self.c["initializer_range"]
        for m in self.modules():
            if isinstance(m, torch.nn.Linear):
                m.weight.data.normal_(mean=0.0, std=std)
            elif isinstance(m, torch.nn.Embedding):
                m.weight.data.normal_(mean=0.0, std=std)
                if self.c["pad_token_id"] is not None:
                    m.weight.data[self.c["pad_token_id"]].zero_()
            elif isinstance(m, RMSNorm):
                m.weight.data.fill_(1.0)

    def forward(self, input_ids, attention_mask=None, position_ids=None):
        """Logits [batch, length, vocab]. attention_mask [batch, length]: 1 real, 0 padding.
        position_ids default to 0..length-1 as in transformers' forward."""
        b, t = input_ids.shape
        dtype = self.model.embed_tokens.weight.dtype
        if position_ids is None:
            position_ids = torch.arange(t)[None, :].expand(b, t)
        x = self.model.embed_tokens(input_ids)
        cos, sin = rotary_cos_sin(self.c, position_ids, dtype)
        mask = additive_mask(attention_mask, b, t, dtype)
        for layer in self.model.layers:
            x = layer(x, cos, sin, mask)
        return self.lm_head(self.model.norm(x))


def additive_mask(attention_mask, b, t, dtype):
    """transformers' eager 4-d mask: 0 where a query may attend, the dtype's lowest value where
    the key is in the future or padding (set, not added, so a fully masked row stays finite)."""
    lowest = torch.finfo(dtype).min
    blocked = torch.ones(t, t, dtype=torch.bool).triu(1)[None, None, :, :].expand(b, 1, t, t)
    if attention_mask is not None:
        blocked = blocked | (attention_mask[:, None, None, :] == 0)
    return torch.zeros(b, 1, t, t, dtype=dtype).masked_fill(blocked, lowest)


def completion_logps(model, prompts, completions, pad_id=0):
    """TRL's sequence log-probs: prompt + completion right-padded into one batch, log-softmax of
    the logits at position i scored against token i+1, summed over completion tokens only
    (prompt and padding excluded). Returns (sums [batch], per-token lists)."""
    seqs = [p + c for p, c in zip(prompts, completions)]
    t = max(len(s) for s in seqs)
    ids = torch.tensor([s + [pad_id] * (t - len(s)) for s in seqs])
    mask = torch.tensor([[1] * len(s) + [0] * (t - len(s)) for s in seqs])
    loss_mask = torch.tensor([[0] * len(p) + [1] * len(c) + [0] * (t - len(p) - len(c))
                              for p, c in zip(prompts, completions)])
    logits = model(ids, attention_mask=mask)
    logp = torch.log_softmax(logits[:, :-1, :], dim=-1)
    labels = ids[:, 1:]
    per_token = logp.gather(2, labels[:, :, None])[:, :, 0] * loss_mask[:, 1:]
    sums = per_token.sum(-1)
    lists = [[per_token[i, j].item() for j in range(t - 1) if loss_mask[i, j + 1]] for i in range(len(seqs))]
    return sums, lists


# ------------------------------------------------------------------------------------ safetensors

DTYPES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
          torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
          torch.bool: "BOOL"}
BY_NAME = {v: k for k, v in DTYPES.items()}


def save_safetensors(path, tensors, metadata=None):
    """The safetensors layout: u64 little-endian header length, a JSON header (padded with spaces
    to a multiple of 8) naming each tensor's dtype, shape and [begin, end) byte offsets into the
    data that follows, tensors stored row-major little-endian back to back."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        raw = bytearray(data[8 + n + begin:8 + n + end])
        dtype = BY_NAME[info["dtype"]]
        if dtype == torch.bfloat16:
            t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16) if raw else torch.empty(0, dtype=dtype)
        else:
            t = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).clone()
    return out


def state_for_file(model):
    """What save_pretrained writes: every parameter, lm_head.weight left out when tied."""
    state = dict(model.state_dict())
    if model.c["tie_word_embeddings"]:
        state.pop("lm_head.weight")
    return state


def load_model(directory, dtype=torch.float32):
    with open(os.path.join(directory, "config.json")) as f:
        raw = json.load(f)
    c = make_config(**{k: raw[k] for k in CONFIG_DEFAULTS if k in raw})
    model = LlamaForCausalLM(c).to(dtype)
    state = load_safetensors(os.path.join(directory, "model.safetensors"))
    if c["tie_word_embeddings"]:
        state["lm_head.weight"] = state["model.embed_tokens.weight"]
    model.load_state_dict({k: v.to(dtype) for k, v in state.items()})
    return model


# ----------------------------------------------------------------------------------------- outputs

def rounded(values, dtype):
    """float32 values as their shortest round-tripping decimals; float64 values as they are."""
    if dtype == torch.float32:
        return [float("%.9g" % v) for v in values]
    return list(values)


def expected_outputs(model32, forward_cases, logps_records):
    out = {"forward": [], "logps": [], "gradients": {}}
    models = {"float32": model32, "float64": _copy_as(model32, torch.float64)}
    for case in forward_cases:
        entry = dict(case)
        for name, model in models.items():
            dtype = model.model.embed_tokens.weight.dtype
            with torch.no_grad():
                logits = model(torch.tensor(case["input_ids"]), torch.tensor(case["attention_mask"]),
                               None if case["position_ids"] is None else torch.tensor(case["position_ids"]))
            entry[name] = {"logits": [[rounded(logits[i, j].tolist(), dtype)
                                       for j in range(logits.shape[1]) if case["attention_mask"][i][j]]
                                      for i in range(logits.shape[0])]}
        out["forward"].append(entry)
    prompts = [r["prompt_input_ids"] for r in logps_records]
    completions = [r["completion_input_ids"] for r in logps_records]
    for name, model in models.items():
        dtype = model.model.embed_tokens.weight.dtype
        model.zero_grad()
        sums, lists = completion_logps(model, prompts, completions)
        loss = -sums.mean()
        loss.backward()
        grads = {k: rounded(p.grad.flatten().tolist(), dtype) for k, p in model.named_parameters()}
        out["gradients"][name] = {"loss": rounded([loss.item()], dtype)[0], "grads": grads}
        for i, r in enumerate(logps_records):
            if len(out["logps"]) <= i:
                out["logps"].append(dict(r))
            out["logps"][i][name] = {"sum": rounded([sums[i].item()], dtype)[0],
                                     "per_token": rounded(lists[i], dtype)}
    out["gradients"]["loss"] = ("mean over the logps records of minus the summed completion log-probs, "
                                "computed as one right-padded batch (pad id 0)")
    out["gradients"]["tied_note"] = ("with tie_word_embeddings the gradient of model.embed_tokens.weight "
                                     "includes the lm_head use and there is no lm_head.weight entry")
    return out


def _copy_as(model, dtype):
    copy = LlamaForCausalLM(model.c)
    copy.load_state_dict(model.state_dict())
    return copy.to(dtype)


def tensor_summary(state):
    """Per stored tensor: shape, sum and sum of squares (float64), the first 8 and the last value."""
    out = {}
    for name in sorted(state):
        flat = state[name].detach().to(torch.float64).flatten()
        out[name] = {"dtype": DTYPES[state[name].dtype], "shape": list(state[name].shape),
                     "sum": flat.sum().item(), "sum_sq": (flat * flat).sum().item(),
                     "first": flat[:8].tolist(), "last": flat[-1].item()}
    return out


def fixture(a):
    torch.manual_seed(a.seed)
    c = make_config(vocab_size=a.vocab_size, hidden_size=a.hidden_size, intermediate_size=a.intermediate_size,
                    num_hidden_layers=a.layers, num_attention_heads=a.heads, num_key_value_heads=a.kv_heads,
                    max_position_embeddings=a.max_positions, rms_norm_eps=a.rms_norm_eps,
                    rope_theta=a.rope_theta, tie_word_embeddings=a.tied, initializer_range=a.initializer_range,
                    bos_token_id=1, eos_token_id=2)
    model = LlamaForCausalLM(c)
    model.init_weights()
    if a.perturb_norms:
        # Norm weights of one would hide a norm that ignores its weight: move them off one.
        with torch.no_grad():
            for name, p in model.named_parameters():
                if name.endswith("norm.weight"):
                    p.add_(0.1 * torch.randn_like(p))
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config_json(c), f, indent=2)
        f.write("\n")
    state = state_for_file(model)
    save_safetensors(os.path.join(a.out, "model.safetensors"), state, {"format": "pt"})

    g = torch.Generator().manual_seed(a.seed + 1)

    def ids(n):
        return torch.randint(3, c["vocab_size"], (n,), generator=g).tolist()

    a_ids, b_ids, c_ids = ids(11), ids(7), ids(4)
    forward_cases = [
        {"name": "single", "input_ids": [a_ids], "attention_mask": [[1] * 11], "position_ids": None},
        {"name": "right_padded_batch", "input_ids": [a_ids, b_ids + [0] * 4, c_ids + [0] * 7],
         "attention_mask": [[1] * 11, [1] * 7 + [0] * 4, [1] * 4 + [0] * 7], "position_ids": None},
        # as transformers' generate pads: on the left, positions counting real tokens only, so
        # each row's logits equal the same sequence run alone
        {"name": "left_padded_batch", "input_ids": [a_ids, [0] * 4 + b_ids],
         "attention_mask": [[1] * 11, [0] * 4 + [1] * 7],
         "position_ids": [list(range(11)), [1] * 4 + list(range(7))]},
    ]
    logps_records = [
        {"prompt_input_ids": ids(5), "completion_input_ids": ids(6)},
        {"prompt_input_ids": ids(3), "completion_input_ids": ids(9)},
        {"prompt_input_ids": ids(8), "completion_input_ids": ids(2)},
    ]
    expected = {"torch_version": torch.__version__, "config": config_json(c), "tensors": tensor_summary(state),
                "note": "forward logits are listed for positions whose attention_mask is 1 only"}
    expected.update(expected_outputs(model, forward_cases, logps_records))
    with open(os.path.join(a.out, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
        f.write("\n")


def halfs(a):
    """Half-precision tensors whose float32 conversion (as torch does it) the Java reader must match."""
    torch.manual_seed(a.seed)
    special = [0.0, -0.0, 1.0, -2.5, 65504.0, 6.1035156e-05, 5.9604645e-08, 3.0e-06, float("inf"),
               float("-inf"), float("nan"), 1.0e38, 3.3895314e38, 1.1754944e-38, 9.2e-41, 0.1, -7.3e5]
    tensors = {
        "bf16.random": (torch.randn(3, 5) * 10).to(torch.bfloat16),
        "bf16.special": torch.tensor(special).to(torch.bfloat16),
        "f16.random": (torch.randn(2, 3, 4) * 100).to(torch.float16),
        "f16.special": torch.tensor(special).to(torch.float16),
        "f32.random": torch.randn(4, 2),
        "f32.scalar": torch.tensor(3.25),
        "f64.random": torch.randn(5, dtype=torch.float64),
        "f32.empty": torch.zeros(0, 3),
    }
    os.makedirs(a.out, exist_ok=True)
    save_safetensors(os.path.join(a.out, "halfs.safetensors"), tensors, {"written_by": "llama_reference.py halfs"})
    expected = {}
    for name, t in tensors.items():
        entry = {"dtype": DTYPES[t.dtype], "shape": list(t.shape)}
        if t.dtype == torch.float64:
            entry["values"] = t.flatten().tolist()
        else:
            entry["float32_bits"] = t.to(torch.float32).flatten().view(torch.int32).tolist()
        expected[name] = entry
    with open(os.path.join(a.out, "halfs.json"), "w") as f:
        json.dump({"torch_version": torch.__version__, "tensors": expected}, f, indent=1)
        f.write("\n")


def logps(a):
    """TRL records with prompt/chosen/rejected_input_ids in, chosen/rejected log-probs out (JSON lines)."""
    dtype = torch.float64 if a.dtype == "float64" else torch.float32
    model = load_model(a.model, dtype)
    with open(a.input) as f, open(a.out, "w") as out:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            row = {}
            with torch.no_grad():
                for side in ("chosen", "rejected"):
                    sums, lists = completion_logps(model, [r["prompt_input_ids"]], [r[side + "_input_ids"]])
                    row[side + "_logps"] = sums[0].item()
                    row[side + "_length"] = len(lists[0])
            out.write(json.dumps(row) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fixture")
    f.add_argument("--out", required=True)
    f.add_argument("--tied", action="store_true")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--vocab-size", type=int, default=96)
    f.add_argument("--hidden-size", type=int, default=32)
    f.add_argument("--intermediate-size", type=int, default=64)
    f.add_argument("--layers", type=int, default=2)
    f.add_argument("--heads", type=int, default=4)
    f.add_argument("--kv-heads", type=int, default=2)
    f.add_argument("--max-positions", type=int, default=64)
    f.add_argument("--rms-norm-eps", type=float, default=1e-6)
    f.add_argument("--rope-theta", type=float, default=10000.0)
    f.add_argument("--initializer-range", type=float, default=0.02)
    f.add_argument("--perturb-norms", action="store_true")
    h = sub.add_parser("halfs")
    h.add_argument("--out", required=True)
    h.add_argument("--seed", type=int, default=5)
    lp = sub.add_parser("logps")
    lp.add_argument("--model", required=True)
    lp.add_argument("--in", dest="input", required=True)
    lp.add_argument("--out", required=True)
    lp.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    a = ap.parse_args()
    torch.set_num_threads(1)
    {"fixture": fixture, "halfs": halfs, "logps": logps}[a.command](a)


if __name__ == "__main__":
    main()
