"""PyTorch counterparts of betalab's language-model workloads (bench/src/main/java/betalab/bench/LmWorkloads.java).

The model is reference/pytorch/llama_reference.py's LlamaForCausalLM (computed as transformers'
modeling_llama with eager attention) at a nanoGPT-CPU-like size: byte vocabulary (256), hidden 128,
intermediate 344, 4 layers, 4 heads, context 64, float32, two threads; the same sizes as the Java side.

- lm-step: one training step on a batch of 12 sequences of 64 tokens: forward, next-token
  cross-entropy, backward, AdamW (lr 1e-3).
- lm-logps: the summed completion log-probs of 16 pairs (prompt 16 tokens, completions 48), no gradient.
- lm-generate: 64 new tokens after an 8-token prompt, sampled one at a time with a key/value cache
  (the reference keeps the keys and values of earlier positions and runs one position per token).
- lm-dpo: one DPO step on 8 pairs (prompt 16 tokens, completions 32), chosen and rejected in one
  right-padded batch as TRL's concatenated forward, the reference's log-probs computed once before
  the first step (TRL's precompute_ref_log_probs), sigmoid loss with beta 0.1, AdamW.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "reference", "pytorch"))
import llama_reference as ref  # noqa: E402

CONFIG = dict(vocab_size=256, hidden_size=128, intermediate_size=344, num_hidden_layers=4,
              num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=128)
BATCH, CONTEXT = 12, 64
PAIRS, PROMPT, COMPLETION = 16, 16, 48
GENERATE_PROMPT, GENERATE_TOKENS = 8, 64
DPO_PAIRS, DPO_PROMPT, DPO_COMPLETION, DPO_BETA = 8, 16, 32, 0.1

_state = {}


def _model():
    if "model" not in _state:
        torch.manual_seed(0)
        model = ref.LlamaForCausalLM(ref.make_config(**CONFIG))
        model.init_weights()
        _state["model"] = model
        _state["optimizer"] = torch.optim.AdamW(model.parameters(), lr=1e-3)
        g = torch.Generator().manual_seed(1)
        _state["batch"] = torch.randint(0, 256, (BATCH, CONTEXT + 1), generator=g)
        _state["prompts"] = [torch.randint(0, 256, (PROMPT,), generator=g).tolist() for _ in range(PAIRS)]
        _state["chosen"] = [torch.randint(0, 256, (COMPLETION,), generator=g).tolist() for _ in range(PAIRS)]
        _state["rejected"] = [torch.randint(0, 256, (COMPLETION,), generator=g).tolist() for _ in range(PAIRS)]
        prompts = [torch.randint(0, 256, (DPO_PROMPT,), generator=g).tolist() for _ in range(DPO_PAIRS)]
        completions = [torch.randint(0, 256, (DPO_COMPLETION,), generator=g).tolist() for _ in range(2 * DPO_PAIRS)]
        _state["dpo"] = (prompts + prompts, completions)
    return _state["model"]


def lm_step():
    model = _model()
    batch = _state["batch"]
    logits = model(batch[:, :-1])
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 256), batch[:, 1:].reshape(-1))
    _state["optimizer"].zero_grad()
    loss.backward()
    _state["optimizer"].step()
    return loss.item()


def lm_logps():
    model = _model()
    with torch.no_grad():
        c, _ = ref.completion_logps(model, _state["prompts"], _state["chosen"])
        r, _ = ref.completion_logps(model, _state["prompts"], _state["rejected"])
    return (c - r).sum().item()


def _sequence_logps(model, prompts, completions):
    """reference/pytorch/llama_reference.py's completion_logps, as a tensor only (no per-token lists)."""
    seqs = [p + c for p, c in zip(prompts, completions)]
    t = max(len(s) for s in seqs)
    ids = torch.tensor([s + [0] * (t - len(s)) for s in seqs])
    mask = torch.tensor([[1] * len(s) + [0] * (t - len(s)) for s in seqs])
    loss_mask = torch.tensor([[0] * len(p) + [1] * len(c) + [0] * (t - len(p) - len(c))
                              for p, c in zip(prompts, completions)])
    logp = torch.log_softmax(model(ids, attention_mask=mask)[:, :-1, :], dim=-1)
    return (logp.gather(2, ids[:, 1:, None])[:, :, 0] * loss_mask[:, 1:]).sum(-1)


def lm_dpo():
    model = _model()
    prompts, completions = _state["dpo"]
    if "dpo_ref" not in _state:
        with torch.no_grad():
            _state["dpo_ref"] = _sequence_logps(model, prompts, completions)
    ref = _state["dpo_ref"]
    logps = _sequence_logps(model, prompts, completions)
    margin = (logps[:DPO_PAIRS] - ref[:DPO_PAIRS]) - (logps[DPO_PAIRS:] - ref[DPO_PAIRS:])
    loss = -torch.nn.functional.logsigmoid(DPO_BETA * margin).mean()
    _state["optimizer"].zero_grad()
    loss.backward()
    _state["optimizer"].step()
    return loss.item()


def lm_generate():
    """One position per new token: the keys and values of earlier positions are kept."""
    model = _model()
    c = model.c
    g = torch.Generator().manual_seed(2)
    tokens = torch.randint(0, 256, (1, GENERATE_PROMPT), generator=g)
    with torch.no_grad():
        cache = [None] * c["num_hidden_layers"]
        logits = _cached_forward(model, tokens, 0, cache)
        for step in range(GENERATE_TOKENS):
            probs = torch.softmax(logits[0, -1], dim=-1)
            token = torch.multinomial(probs, 1, generator=g).view(1, 1)
            if step + 1 == GENERATE_TOKENS:
                break
            logits = _cached_forward(model, token, GENERATE_PROMPT + step, cache)
    return float(token.item())


def _cached_forward(model, ids, start, cache):
    """The reference's forward for new positions start … start + n − 1 against cached keys and values."""
    c = model.c
    n = ids.shape[1]
    positions = torch.arange(start, start + n)[None, :]
    x = model.model.embed_tokens(ids)
    cos, sin = ref.rotary_cos_sin(c, positions, x.dtype)
    d, nh, nkv = c["head_dim"], c["num_attention_heads"], c["num_key_value_heads"]
    for i, layer in enumerate(model.model.layers):
        h = layer.input_layernorm(x)
        a = layer.self_attn
        q = a.q_proj(h).view(1, n, nh, d).transpose(1, 2)
        k = a.k_proj(h).view(1, n, nkv, d).transpose(1, 2)
        v = a.v_proj(h).view(1, n, nkv, d).transpose(1, 2)
        q, k = ref.apply_rotary(q, cos, sin), ref.apply_rotary(k, cos, sin)
        if cache[i] is not None:
            k = torch.cat((cache[i][0], k), dim=2)
            v = torch.cat((cache[i][1], v), dim=2)
        cache[i] = (k, v)
        total = k.shape[2]
        mask = torch.zeros(n, total)
        mask[torch.ones(n, total, dtype=torch.bool).triu(total - n + 1)] = torch.finfo(x.dtype).min
        scores = q @ k.repeat_interleave(nh // nkv, dim=1).transpose(2, 3) * d ** -0.5 + mask
        out = (torch.softmax(scores, dim=-1) @ v.repeat_interleave(nh // nkv, dim=1)).transpose(1, 2).reshape(1, n, nh * d)
        x = x + a.o_proj(out)
        x = x + layer.mlp(layer.post_attention_layernorm(x))
    return model.lm_head(model.model.norm(x))


WORKLOADS = {
    "lm-step": (lm_step, 5, 10),
    "lm-logps": (lm_logps, 5, 10),
    "lm-generate": (lm_generate, 2, 5),
    "lm-dpo": (lm_dpo, 5, 10),
}
