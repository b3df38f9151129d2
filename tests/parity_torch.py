#!/usr/bin/python3
# repscope - MIT licence, see COPYING.
#
# parity_torch.py OUT: write the PyTorch reference for tests/t_parity_torch.
#
# One run per hidden activation (ReLU, Tanh, Sigmoid, GELU with
# approximate="tanh", Softplus): a 20-32-32-5 MLP (nn.Linear default init,
# torch.manual_seed(0) before each run) trained for 50 steps of AdamW (lr
# 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01 on every parameter)
# on mean cross-entropy over fixed batches of 16; each run records the loss
# of each step before its update and the final parameters.
#
# File format, all little-endian, 4-byte items, no padding:
#   int32  magic 0x54505352 ("RSPT"), version 2, number of runs R
#   R times:
#     int32  activation: 0 relu, 1 tanh, 2 sigmoid, 3 gelu (tanh form),
#            4 softplus
#     int32  ndims (4), dims[ndims] = 20 32 32 5, batch B, steps S
#     float32 lr, beta1, beta2, eps, weight_decay
#     for each layer l = 0..ndims-2 (in = dims[l], out = dims[l+1]):
#       float32 weight[out][in] (nn.Linear layout), float32 bias[out]
#     for each step s = 0..S-1:
#       float32 x[B][dims[0]], int32 target[B] (each in [0, dims[ndims-1]))
#     float32 loss[S]
#     the parameters after the last step, laid out as the initial ones
# Run with the system interpreter (/usr/bin/python3) and
# OPENBLAS_NUM_THREADS=1; tests/sh/t_parity_torch.sh does both.
import struct
import sys

import torch

DIMS = [20, 32, 32, 5]
BATCH = 16
STEPS = 50
LR, BETA1, BETA2, EPS, WD = 1e-3, 0.9, 0.999, 1e-8, 0.01
MAGIC, VERSION = 0x54505352, 2
ACTS = [
    ("relu", torch.nn.ReLU),
    ("tanh", torch.nn.Tanh),
    ("sigmoid", torch.nn.Sigmoid),
    ("gelu", lambda: torch.nn.GELU(approximate="tanh")),
    ("softplus", torch.nn.Softplus),
]


def f32(t):
    v = t.detach().to(torch.float32).flatten().tolist()
    return struct.pack("<%df" % len(v), *v)


def i32(t):
    v = t.to(torch.int32).flatten().tolist()
    return struct.pack("<%di" % len(v), *v)


def run(code, act):
    """One training run with hidden activation act(); returns its bytes
    and its first and last loss."""
    torch.manual_seed(0)
    layers = []
    for i in range(len(DIMS) - 1):
        layers.append(torch.nn.Linear(DIMS[i], DIMS[i + 1]))
        if i < len(DIMS) - 2:
            layers.append(act())
    model = torch.nn.Sequential(*layers)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]

    out = bytearray()
    out += struct.pack("<i", code)
    out += struct.pack("<i", len(DIMS)) + struct.pack("<%di" % len(DIMS), *DIMS)
    out += struct.pack("<2i", BATCH, STEPS)
    out += struct.pack("<5f", LR, BETA1, BETA2, EPS, WD)
    for lin in linears:
        out += f32(lin.weight) + f32(lin.bias)

    # Learnable targets: the argmax of a fixed random projection of x.
    proj = torch.randn(DIMS[0], DIMS[-1])
    batches = []
    for _ in range(STEPS):
        x = torch.randn(BATCH, DIMS[0])
        t = (x @ proj).argmax(dim=1)
        batches.append((x, t))
        out += f32(x) + i32(t)

    opt = torch.optim.AdamW(model.parameters(), lr=LR, betas=(BETA1, BETA2),
                            eps=EPS, weight_decay=WD)
    losses = []
    for x, t in batches:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), t)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    out += struct.pack("<%df" % STEPS, *losses)
    for lin in linears:
        out += f32(lin.weight) + f32(lin.bias)
    return out, losses[0], losses[-1]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: parity_torch.py OUT")
    torch.set_num_threads(1)
    out = bytearray()
    out += struct.pack("<3i", MAGIC, VERSION, len(ACTS))
    for code, (name, act) in enumerate(ACTS):
        body, first, last = run(code, act)
        out += body
        print("torch %s, %s: loss %.6f -> %.6f" % (torch.__version__, name,
                                                    first, last))
    with open(sys.argv[1], "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
