#!/usr/bin/python3
# repscope - MIT licence, see COPYING.
#
# bench/torch_ref.py: the PyTorch side of `make bench`. Trains the same
# models as bench/rs_bench.c on the CPU and prints one line per run in
# rs_bench's format:
#
#     workload=NAME steps_per_s=X ms_per_step=Y
#
# Workloads (eight batches made before timing and cycled; random inputs):
#   grok-mlp    (a, b) one-hot, 194-128x11-97 ReLU, batch 512, AdamW lr 1e-3
#               weight decay 1.0, targets (a + b) mod 97
#   fmnist-mlp  784-256-256-10 ReLU, batch 128, SGD lr 0.05 momentum 0.9,
#               uniform [0, 1) images, uniform labels
#   relu-mlp    196-128x4-10 ReLU (Fashion-MNIST at 14 x 14), batch 128,
#   tanh-mlp    Adam lr 1e-3; the same with Tanh
#   tiny-gpt    decoder-only transformer: vocab 64, context 64, width 128,
#               4 heads, 2 blocks, MLP 512 (GELU), pre-LayerNorm, learned
#               positions, head without bias; batch 32, AdamW lr 3e-4
# A step is forward + cross-entropy + zero_grad + backward + optimiser
# step; --warmup untimed steps come first. torch 1.13 defaults throughout.
#
# Run with the system interpreter (Debian's python3-torch lives there):
#     /usr/bin/python3 bench/torch_ref.py --workload grok-mlp --steps 100
# Thread counts go into the environment before torch loads: Debian's
# OpenBLAS is the pthread build, and torch.set_num_threads does not reach
# it; only OPENBLAS_NUM_THREADS (read when the library loads) does.
# --blas-info prints the versions and the OpenBLAS kernels to stderr.
import argparse
import os
import sys
import time

WORKLOADS = ("grok-mlp", "fmnist-mlp", "relu-mlp", "tanh-mlp", "tiny-gpt")
NBATCH = 8  # distinct batches, cycled


def parse_args():
    ap = argparse.ArgumentParser(
        description="PyTorch reference timings for bench/rs_bench.")
    ap.add_argument("--workload", required=True, choices=WORKLOADS)
    ap.add_argument("--steps", type=int, required=True,
                    help="timed training steps")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch and OpenBLAS threads")
    ap.add_argument("--warmup", type=int, default=None,
                    help="untimed steps first (default max(5, steps / 10))")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--blas-info", action="store_true",
                    help="print torch and OpenBLAS configuration to stderr")
    args = ap.parse_args()
    if args.steps < 1 or args.threads < 1:
        ap.error("--steps and --threads must be at least 1")
    return args


ARGS = parse_args()
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)

import ctypes  # noqa: E402  (after the thread counts, on purpose)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(ARGS.threads)
torch.manual_seed(ARGS.seed)


def find_openblas():
    """(path, CDLL) of the OpenBLAS mapped into this process, or (None,
    None): torch reaches it through libblas.so.3, so read the maps."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "libopenblas" in path and path.endswith(".so"):
                lib = ctypes.CDLL(path)
                lib.openblas_get_config.restype = ctypes.c_char_p
                lib.openblas_get_corename.restype = ctypes.c_char_p
                return path, lib
    return None, None


OPENBLAS_PATH, OPENBLAS = find_openblas()
if OPENBLAS is not None:
    OPENBLAS.openblas_set_num_threads(ARGS.threads)


def print_blas_info(model):
    err = sys.stderr
    print("torch %s python %s threads=%d interop=%d params=%d" % (
        torch.__version__, sys.version.split()[0], torch.get_num_threads(),
        torch.get_num_interop_threads(),
        sum(p.numel() for p in model.parameters())), file=err)
    if OPENBLAS is not None:
        print("openblas lib=%s config=%s corename=%s threads=%d" % (
            OPENBLAS_PATH, OPENBLAS.openblas_get_config().decode(),
            OPENBLAS.openblas_get_corename().decode(),
            OPENBLAS.openblas_get_num_threads()), file=err)
    else:
        print("openblas none", file=err)
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS"):
        print("env %s=%s" % (var, os.environ.get(var, "<unset>")), file=err)


# ---- models -----------------------------------------------------------------

def mlp(sizes, act):
    """Linear layers between consecutive sizes, act() between them."""
    layers = [nn.Linear(sizes[0], sizes[1])]
    for i in range(1, len(sizes) - 1):
        layers += [act(), nn.Linear(sizes[i], sizes[i + 1])]
    return nn.Sequential(*layers)


class Attention(nn.Module):
    """Causal multi-head self-attention from one fused QKV projection."""

    def __init__(self, width, heads, ctx):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        mask = torch.tril(torch.ones(ctx, ctx, dtype=torch.bool))
        self.register_buffer("mask", mask)

    def forward(self, x):  # x (B, T, C)
        B, T, C = x.shape
        D = C // self.heads

        def split(t):  # (B, T, C) -> (B, H, T, D)
            return t.view(B, T, self.heads, D).transpose(1, 2)

        q, k, v = (split(t) for t in self.qkv(x).split(C, dim=2))
        scores = (q @ k.transpose(-2, -1)) * D ** -0.5  # (B, H, T, T)
        scores = scores.masked_fill(~self.mask[:T, :T], float("-inf"))
        y = F.softmax(scores, dim=-1) @ v  # (B, H, T, D)
        return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))


class Block(nn.Module):
    """x + attn(ln1(x)), then x + fc2(gelu(fc1(ln2(x))))."""

    def __init__(self, width, heads, ctx, hidden):
        super().__init__()
        self.ln1 = nn.LayerNorm(width)
        self.attn = Attention(width, heads, ctx)
        self.ln2 = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, hidden)
        self.fc2 = nn.Linear(hidden, width)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class TinyGPT(nn.Module):
    def __init__(self, vocab, ctx, width, heads, blocks, hidden):
        super().__init__()
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Embedding(ctx, width)
        self.blocks = nn.ModuleList(
            Block(width, heads, ctx, hidden) for _ in range(blocks))
        self.lnf = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab, bias=False)

    def forward(self, ids):  # ids (B, T) -> logits (B, T, V)
        x = self.tok(ids) + self.pos(torch.arange(ids.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.head(self.lnf(x))


# ---- workloads --------------------------------------------------------------
# Each returns (model, step) where step(k) trains on batch k mod NBATCH.

def classifier_step(model, opt, xs, ys):
    def step(k):
        j = k % NBATCH
        loss = F.cross_entropy(model(xs[j]), ys[j])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss
    return step


def grok_mlp():
    p, batch = 97, 512
    model = mlp([2 * p] + [128] * 11 + [p], nn.ReLU)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1.0)
    a = torch.randint(0, p, (NBATCH, batch))
    b = torch.randint(0, p, (NBATCH, batch))
    xs = torch.cat([F.one_hot(a, p), F.one_hot(b, p)], dim=2).float()
    return model, classifier_step(model, opt, xs, (a + b) % p)


def fmnist_mlp():
    batch = 128
    model = mlp([784, 256, 256, 10], nn.ReLU)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    xs = torch.rand(NBATCH, batch, 784)
    ys = torch.randint(0, 10, (NBATCH, batch))
    return model, classifier_step(model, opt, xs, ys)


def small_mlp(act):
    batch = 128
    model = mlp([196] + [128] * 4 + [10], act)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xs = torch.rand(NBATCH, batch, 196)
    ys = torch.randint(0, 10, (NBATCH, batch))
    return model, classifier_step(model, opt, xs, ys)


def tiny_gpt():
    vocab, ctx, batch = 64, 64, 32
    model = TinyGPT(vocab, ctx, width=128, heads=4, blocks=2, hidden=512)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
    toks = torch.randint(0, vocab, (NBATCH, batch, ctx + 1))

    def step(k):
        j = k % NBATCH
        logits = model(toks[j, :, :-1])
        loss = F.cross_entropy(logits.reshape(-1, vocab),
                               toks[j, :, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss
    return model, step


BUILDERS = {
    "grok-mlp": grok_mlp,
    "fmnist-mlp": fmnist_mlp,
    "relu-mlp": lambda: small_mlp(nn.ReLU),
    "tanh-mlp": lambda: small_mlp(nn.Tanh),
    "tiny-gpt": tiny_gpt,
}


def main():
    model, step = BUILDERS[ARGS.workload]()
    if ARGS.blas_info:
        print_blas_info(model)
    warmup = ARGS.warmup if ARGS.warmup is not None else max(5, ARGS.steps // 10)
    for k in range(warmup):
        step(k)
    t0 = time.perf_counter()
    for k in range(ARGS.steps):
        loss = step(warmup + k)
    elapsed = time.perf_counter() - t0
    if not torch.isfinite(loss):
        print("torch_ref: warning: non-finite loss %g" % loss.item(),
              file=sys.stderr)
    print("workload=%s steps_per_s=%.3f ms_per_step=%.4f" % (
        ARGS.workload, ARGS.steps / elapsed, 1e3 * elapsed / ARGS.steps),
        flush=True)


if __name__ == "__main__":
    main()
