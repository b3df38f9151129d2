#!/usr/bin/python3
# repscope - MIT licence, see COPYING.
#
# parity_griffin.py OUT: write the PyTorch reference for
# tests/t_parity_griffin: the griffin module kind's twin (Griffin in
# bench/torch_ref.py) trained for 50 AdamW steps on fixed token batches.
#
# Three runs, tiny sizes (vocab 64, d 32, 3 layers, heads 2, mlp_mult 3,
# conv_width 4, batch 4, context 24): the transformer (pattern "A", window
# 0), Hawk ("R") and Griffin ("RRA", window 8 < T, soft-cap 30). Weights
# are the twin's RecurrentGemma-style init under torch.manual_seed(run);
# the batches are windows of T + 1 tokens from a fixed noisy periodic
# corpus (learnable, so the loss moves); mean next-token cross-entropy
# over every position; AdamW lr 1e-3, betas (0.9, 0.999), eps 1e-8,
# weight decay 0.01 on every parameter. Each run records the loss of each
# step before its update and the parameters after the last step.
#
# File format, all little-endian, 4-byte items, no padding:
#   int32  magic 0x47505352 ("RSPG"), version 1, number of runs R
#   R times:
#     int32  vocab, d, layers, heads, lru_width, window, mlp_mult,
#            conv_width, embed_scale (0/1)
#     float32 rope_base, soft_cap
#     char   pattern[16] (NUL-padded)
#     int32  batch B, context T, steps S
#     float32 lr, beta1, beta2, eps, weight_decay
#     int32  number of parameters P; P times: char name[64] (NUL-padded,
#            repscope's name), int32 numel, float32 values[numel]
#            (repscope's layout and registration order)
#     for each step s = 0..S-1: int32 ids[B][T + 1] (inputs the first T,
#            targets the last T of each row)
#     float32 loss[S]
#     the parameters after the last step, P times float32 values[numel]
# Run with the system interpreter (/usr/bin/python3) and
# OPENBLAS_NUM_THREADS=1; tests/sh/t_parity_griffin.sh does both, with
# RS_SRCDIR pointing at the source tree (for bench/torch_ref.py).
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.join(os.environ.get("RS_SRCDIR", "."), "bench"))
import torch_ref  # noqa: E402  (the Griffin twin)

MAGIC, VERSION = 0x47505352, 1
VOCAB, D, LAYERS, HEADS, MLP_MULT, CONV = 64, 32, 3, 2, 3, 4
BATCH, T, STEPS = 4, 24, 50
LR, BETA1, BETA2, EPS, WD = 1e-3, 0.9, 0.999, 1e-8, 0.01
RUNS = [
    # name, pattern, window, soft_cap
    ("transformer", "A", 0, 0.0),
    ("hawk", "R", 8, 0.0),
    ("griffin", "RRA", 8, 30.0),
]


def f32(t):
    v = t.detach().to(torch.float32).flatten().tolist()
    return struct.pack("<%df" % len(v), *v)


def i32(t):
    v = t.to(torch.int32).flatten().tolist()
    return struct.pack("<%di" % len(v), *v)


def corpus(n):
    """n tokens: a random period-11 pattern, 10% of them replaced."""
    g = torch.Generator().manual_seed(1234)
    base = torch.randint(0, VOCAB, (11,), generator=g)
    toks = base.repeat(n // 11 + 1)[:n].clone()
    noise = torch.rand(n, generator=g) < 0.1
    toks[noise] = torch.randint(0, VOCAB, (int(noise.sum()),), generator=g)
    return toks


def run(seed, pattern, window, soft_cap):
    torch.manual_seed(seed)
    model = torch_ref.Griffin(vocab=VOCAB, d=D, layers=LAYERS,
                              pattern=pattern, heads=HEADS, lru_width=D,
                              window=window, mlp_mult=MLP_MULT,
                              conv_width=CONV, rope_base=1e4,
                              soft_cap=soft_cap, embed_scale=True)
    out = bytearray()
    out += struct.pack("<9i", VOCAB, D, LAYERS, HEADS, D, window, MLP_MULT,
                       CONV, 1)
    out += struct.pack("<2f", 1e4, soft_cap)
    out += pattern.encode().ljust(16, b"\0")
    out += struct.pack("<3i", BATCH, T, STEPS)
    out += struct.pack("<5f", LR, BETA1, BETA2, EPS, WD)
    params = model.c_params()
    out += struct.pack("<i", len(params))
    for name, p in params:
        out += name.encode().ljust(64, b"\0")
        out += struct.pack("<i", p.numel()) + f32(p)

    toks = corpus(600)
    starts = torch.randint(0, len(toks) - T - 1, (STEPS, BATCH))
    batches = []
    for s in range(STEPS):
        ids = torch.stack([toks[a:a + T + 1] for a in starts[s].tolist()])
        batches.append(ids)
        out += i32(ids)

    opt = torch.optim.AdamW([p for _, p in params], lr=LR,
                            betas=(BETA1, BETA2), eps=EPS, weight_decay=WD)
    losses = []
    for ids in batches:
        opt.zero_grad()
        logits = model(ids[:, :T])
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, VOCAB), ids[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    out += struct.pack("<%df" % STEPS, *losses)
    for _, p in params:
        out += f32(p)
    return out, losses[0], losses[-1]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: parity_griffin.py OUT")
    torch.set_num_threads(1)
    out = bytearray()
    out += struct.pack("<3i", MAGIC, VERSION, len(RUNS))
    for seed, (name, pattern, window, cap) in enumerate(RUNS):
        body, first, last = run(seed, pattern, window, cap)
        out += body
        print("torch %s, %s (pattern %s, window %d): loss %.6f -> %.6f" % (
            torch.__version__, name, pattern, window, first, last))
    with open(sys.argv[1], "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
