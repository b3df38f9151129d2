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
#   sparc       SPARC (Bica et al., "Improving fine-grained understanding
#               in image-text pre-training", arXiv 2401.09865) on 2x2
#               Fashion-MNIST-like composites: 16 patches of 196 pixels
#               (uniform [0, 1)), captions of 4 distinct class words (ids
#               1..10 of 21); image encoder 196-64 + learned positions,
#               ReLU, 64-64, ReLU, 64-32; text encoder embedding 21x64,
#               ReLU, 64-64, ReLU, 64-32; learned log-temperature (log
#               0.07); 0.5 L_g + 1.0 L_f (min-max, threshold 1/16, caption
#               negatives); batch 64, AdamW lr 1e-3 weight decay 0.1
#   ppo-mlp     one PPO minibatch step (Schulman et al., "Proximal policy
#               optimization algorithms", arXiv 1707.06347) of a 4-64-64-2
#               tanh actor and a 4-64-64-1 tanh critic (CartPole's shapes),
#               batch 2048: observations, advantages and returns N(0, 1),
#               actions uniform, log pi_old = log max(U(0, 1), 0.05); the
#               loss of rs_objective_ppo with PFO off (the authors' PPOLoss
#               of arXiv 2405.00662: advantages normalised by the biased
#               deviation clamped at 1e-6, the log-ratio clamped to
#               [log 0.8, log 1.2], entropy 0.01, 0.5 mean (V - V_t)^2);
#               ONE Adam over both networks, lr 3e-4 eps 1e-5, no clipping
#   hawk        Hawk (De et al., "Griffin: Mixing Gated Linear Recurrences
#               with Local Attention for Efficient Language Models", arXiv
#               2402.19427): the Griffin twin below with pattern "R", 2
#               layers, d 128 (lru_width 128, 2 gate blocks, MLP 384, 4
#               conv taps), vocab 64, context 64, batch 32, random tokens,
#               next-token cross-entropy at every position, AdamW lr 3e-4;
#               the RG-LRU scan a loop over time as RecurrentGemma's own
#               PyTorch rnn_scan runs it off TPU
# A step is forward + cross-entropy + zero_grad + backward + optimiser
# step; --warmup untimed steps come first. torch 1.13 defaults throughout.
#
# Run with the system interpreter (Debian's python3-torch lives there):
#     /usr/bin/python3 bench/torch_ref.py --workload grok-mlp --steps 100
# Thread counts go into the environment before torch loads: Debian's
# OpenBLAS is the pthread build, and torch.set_num_threads does not reach
# it; only OPENBLAS_NUM_THREADS (read when the library loads) does.
# --blas-info prints the versions and the OpenBLAS kernels to stderr.
# --check FILE (sparc, ppo-mlp, hawk) loads the weights and batch that
# `rs_bench --workload W --dump FILE` wrote and prints
#     check workload=W repscope=X torch=Y torch64=Z rel=R rel64=R2
# (torch's loss in float32 and float64; rel = |torch - repscope| / |torch|).
import argparse
import os
import sys
import time

WORKLOADS = ("grok-mlp", "fmnist-mlp", "relu-mlp", "tanh-mlp", "tiny-gpt",
             "sparc", "ppo-mlp", "hawk")
NBATCH = 8  # distinct batches, cycled


def parse_args():
    ap = argparse.ArgumentParser(
        description="PyTorch reference timings for bench/rs_bench.")
    ap.add_argument("--workload", required=True, choices=WORKLOADS)
    ap.add_argument("--steps", type=int, default=1,
                    help="timed training steps")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch and OpenBLAS threads")
    ap.add_argument("--warmup", type=int, default=None,
                    help="untimed steps first (default max(5, steps / 10))")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--blas-info", action="store_true",
                    help="print torch and OpenBLAS configuration to stderr")
    ap.add_argument("--check", metavar="FILE",
                    help="sparc, ppo-mlp, hawk: recompute the loss of "
                    "rs_bench --dump FILE")
    args = ap.parse_args()
    if args.steps < 1 or args.threads < 1:
        ap.error("--steps and --threads must be at least 1")
    return args


# As a script: the arguments and thread counts first. Imported (the parity
# test takes the Griffin twin from here): nothing is parsed or set.
ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                 "MKL_NUM_THREADS"):
        os.environ[_var] = str(ARGS.threads)

import ctypes  # noqa: E402  (after the thread counts, on purpose)
import math  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

if ARGS is not None:
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


OPENBLAS_PATH, OPENBLAS = (find_openblas() if ARGS is not None
                           else (None, None))
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


class Sparc(nn.Module):
    """scenes/sparc.lua's dual encoder and SPARC loss (rs_bench's sparc):
    images (B, P Q) -> patches v (B, P, D), ids (B, L) -> tokens t (B, L,
    D), a learned log-temperature. Full captions, so no pad mask."""

    P, Q, L, V, H, D = 16, 196, 4, 21, 64, 32
    EPS = 1e-6        # min-max range and renormalising sum
    NORM_EPS = 1e-12  # x / sqrt(|x|^2 + eps)

    def __init__(self, lambda_g=0.5, lambda_f=1.0):
        super().__init__()
        P, Q, V, H, D = self.P, self.Q, self.V, self.H, self.D
        self.patch = nn.Linear(Q, H)
        self.pos = nn.Parameter(torch.randn(P, H) * 0.02)
        self.img = nn.Sequential(nn.ReLU(), nn.Linear(H, H), nn.ReLU(),
                                 nn.Linear(H, D))
        self.txt = nn.Sequential(nn.Embedding(V, H), nn.ReLU(),
                                 nn.Linear(H, H), nn.ReLU(), nn.Linear(H, D))
        self.log_tau = nn.Parameter(torch.tensor([math.log(0.07)]))
        self.lambda_g, self.lambda_f = lambda_g, lambda_f

    @classmethod
    def norm(cls, x):
        return x / torch.sqrt((x * x).sum(-1, keepdim=True) + cls.NORM_EPS)

    def forward(self, x, ids):
        B, P, L = x.shape[0], self.P, ids.shape[1]
        v = self.img(self.patch(x.view(B, P, self.Q)) + self.pos)  # (B,P,D)
        t = self.txt(ids)                                          # (B,L,D)
        inv_tau = torch.exp(-self.log_tau)
        # L_g, eq. (1): cosine of the mean patch and the mean token
        vb, tb = self.norm(v.mean(1)), self.norm(t.mean(1))
        s = vb @ tb.t() * inv_tau                                  # (B, B)
        tgt = torch.arange(B)
        loss_g = 0.5 * (F.cross_entropy(s, tgt) + F.cross_entropy(s.t(), tgt))
        # L_f, eqs. (2)-(6): min-max over the patches, threshold 1/P,
        # renormalise, align, then each word against its caption's words
        a = t @ v.transpose(1, 2)                                  # (B,L,P)
        lo = a.amin(-1, keepdim=True)
        hi = a.amax(-1, keepdim=True)
        a = (a - lo) / (hi - lo + self.EPS)
        a = torch.where(a >= 1.0 / P, a, torch.zeros_like(a))
        a = a / (a.sum(-1, keepdim=True) + self.EPS)
        c, tn = self.norm(a @ v), self.norm(t)                     # (B,L,D)
        f = c @ tn.transpose(1, 2) * inv_tau                       # (B,L,L)
        tgt = torch.arange(L).repeat(B)
        loss_f = 0.5 * (F.cross_entropy(f.reshape(B * L, L), tgt) +
                        F.cross_entropy(f.transpose(1, 2).reshape(B * L, L),
                                        tgt))
        return self.lambda_g * loss_g + self.lambda_f * loss_f


class ActorCritic(nn.Module):
    """rs_bench's ppo-mlp: separate tanh actor and critic, no shared trunk."""

    OBS, ACT, H = 4, 2, 64
    CLIP, ENT, VF = 0.2, 0.01, 0.5

    def __init__(self):
        super().__init__()
        self.actor = mlp([self.OBS, self.H, self.H, self.ACT], nn.Tanh)
        self.critic = mlp([self.OBS, self.H, self.H, 1], nn.Tanh)

    def loss(self, obs, act, logp_old, adv, ret):
        """rs_objective_ppo's loss with PFO off."""
        lsm = F.log_softmax(self.actor(obs), dim=-1)
        logp = lsm.gather(1, act.unsqueeze(1)).squeeze(1)
        sd = adv.var(unbiased=False).sqrt().clamp_min(1e-6)
        a = (adv - adv.mean()) / sd            # per-minibatch normalisation
        logr = logp - logp_old
        logr_clip = logr.clamp(math.log1p(-self.CLIP), math.log1p(self.CLIP))
        loss_pi = -torch.min(logr.exp() * a, logr_clip.exp() * a).mean()
        entropy = -(lsm.exp() * lsm).sum(-1).mean()
        v = self.critic(obs).squeeze(1)
        loss_v = ((v - ret) ** 2).mean()
        return loss_pi - self.ENT * entropy + self.VF * loss_v


# ---- Griffin / Hawk / the MQA transformer (src/nn/griffin.h) ---------------
# The twin of repscope's griffin module kind, written from griffin.h and the
# ops it uses: "Griffin: Mixing Gated Linear Recurrences with Local
# Attention for Efficient Language Models" (De et al., arXiv 2402.19427),
# the blocks as RecurrentGemma's code has them (Botev et al., arXiv
# 2404.07839). Parameters are kept in repscope's layouts (Linear weights
# (out, in), block-diagonal gates (heads, w, w) applied as x W, the conv
# (K, lru)) and c_params() lists them under repscope's names in its
# registration order, so weights move between the two as flat arrays.

MAX_SQRT_GRADIENT = 1000.0  # the bounded sqrt derivative's ceiling


class SqrtBoundDerivative(torch.autograd.Function):
    """sqrt(z) whose derivative is 1 / sqrt(max(4 z, 1000^-2)), at most
    1000 (RecurrentGemma's; repscope's ops_rglru.c)."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return torch.sqrt(z)

    @staticmethod
    def backward(ctx, grad):
        z, = ctx.saved_tensors
        return grad / torch.sqrt(torch.clamp(4.0 * z,
                                             min=MAX_SQRT_GRADIENT ** -2))


def rms_norm(x, scale, eps=1e-6):
    """x / sqrt(mean(x^2) + eps) * (1 + scale) over the last dim."""
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * (
        1.0 + scale)


def rope_half(x, heads, base):
    """RecurrentGemma's RoPE on (B, T, heads hd): the first r = hd / 2 dims
    of each head rotated with the rotate-half pairing (i, i + r/2) by the
    angle t base^(-2i / r) (cos and sin in double, rounded once, as
    repscope's rope_half), the rest copied."""
    B, T, _ = x.shape
    x = x.view(B, T, heads, -1)
    hd = x.shape[-1]
    r = hd // 2
    P = r // 2
    i = torch.arange(P, dtype=torch.float64)
    t = torch.arange(T, dtype=torch.float64)
    freq = torch.pow(torch.tensor(float(base), dtype=torch.float64),
                     -2.0 * i / r)
    ang = t[:, None] * freq[None, :]                          # (T, P)
    c = torch.cos(ang).to(x.dtype)[None, :, None, :]         # (1, T, 1, P)
    s = torch.sin(ang).to(x.dtype)[None, :, None, :]
    x0, x1, rest = x[..., :P], x[..., P:r], x[..., r:]
    y = torch.cat([c * x0 - s * x1, s * x0 + c * x1, rest], dim=-1)
    return y.reshape(B, T, heads * hd)


def mqa(q, k, v, heads, window):
    """Causal multi-query attention: q (B, T, H hd), k and v (B, T, hd);
    query t sees keys max(0, t - window + 1) .. t (window keys including
    itself; window 0: all). RecurrentGemma's own mask keeps window + 1
    keys; repscope's rs_op_mqa keeps window, and so does this twin."""
    B, T, _ = q.shape
    hd = k.shape[-1]
    q = q.view(B, T, heads, hd).transpose(1, 2)               # (B, H, T, hd)
    s = (q @ k.transpose(1, 2)[:, None]) * hd ** -0.5         # (B, H, T, T)
    t = torch.arange(T)
    keep = t[None, :] <= t[:, None]
    if window > 0:
        keep &= t[None, :] > t[:, None] - window
    s = s.masked_fill(~keep, float("-inf"))
    o = F.softmax(s, dim=-1) @ v[:, None]                     # (B, H, T, hd)
    return o.transpose(1, 2).reshape(B, T, heads * hd)


def rnn_scan(x, a):
    """h_t = a_t h_{t-1} + x_t from h_{-1} = 0, sequential in t over
    (B, T, C), as RecurrentGemma's PyTorch rnn_scan on a CPU."""
    h = torch.zeros_like(x[:, 0])
    ys = []
    for t in range(x.shape[1]):
        h = a[:, t] * h + x[:, t]
        ys.append(h)
    return torch.stack(ys, dim=1)


class Griffin(nn.Module):
    """repscope's griffin module kind: pattern letters 'R' (RecurrentGemma's
    recurrent block, the RG-LRU) and 'A' (local MQA) repeated over the
    layers. Hawk is "R", Griffin "RRA", the transformer "A" at window 0.
    Every sequence starts a document at t = 0 (the RG-LRU and the conv
    reset there, as RecurrentGemma's segment_pos 0)."""

    def __init__(self, vocab=256, d=64, layers=3, pattern="RRA", heads=2,
                 lru_width=0, window=32, mlp_mult=3, conv_width=4,
                 rope_base=1e4, soft_cap=0.0, embed_scale=True):
        super().__init__()
        self.vocab, self.d, self.heads = vocab, d, heads
        self.lru = lru_width or d
        self.window, self.conv_width = window, conv_width
        self.rope_base, self.soft_cap = rope_base, soft_cap
        self.embed_scale = embed_scale
        self.kinds = [pattern[l % len(pattern)] for l in range(layers)]
        self._names = []
        L, M, hd = self.lru, mlp_mult * d, d // heads
        w = L // heads
        fin = 2.0 / layers  # final_w_init_variance_scale
        self.embed = self._param("embed.weight", (vocab, d), 1.0 / d)
        self.blocks = []
        for l, kind in enumerate(self.kinds, 1):
            p = {}
            pre = "h%d." % l
            p["tnorm"] = self._param(pre + "tnorm.scale", (d,))
            if kind == "R":
                p["y_w"] = self._param(pre + "rec.linear_y.weight", (L, d),
                                       1.0 / d)
                p["y_b"] = self._param(pre + "rec.linear_y.bias", (L,))
                p["x_w"] = self._param(pre + "rec.linear_x.weight", (L, d),
                                       1.0 / d)
                p["x_b"] = self._param(pre + "rec.linear_x.bias", (L,))
                p["conv_w"] = self._param(pre + "rec.conv.weight",
                                          (conv_width, L), 0.01 / conv_width)
                p["conv_b"] = self._param(pre + "rec.conv.bias", (L,))
                p["ga_w"] = self._param(pre + "rec.gate_a.weight",
                                        (heads, w, w), 1.0 / w)
                p["ga_b"] = self._param(pre + "rec.gate_a.bias", (L,))
                p["gx_w"] = self._param(pre + "rec.gate_x.weight",
                                        (heads, w, w), 1.0 / w)
                p["gx_b"] = self._param(pre + "rec.gate_x.bias", (L,))
                p["a_param"] = self._param(pre + "rec.a_param", (L,))
                with torch.no_grad():  # a = sqrt(U[0.81, 0.998])
                    a = torch.sqrt(0.81 + (0.998 - 0.81) * torch.rand(
                        L, dtype=torch.float64))
                    p["a_param"].copy_(torch.log(1.0 / a - 1.0))
                p["out_w"] = self._param(pre + "rec.linear_out.weight",
                                         (d, L), fin / L)
                p["out_b"] = self._param(pre + "rec.linear_out.bias", (d,))
            else:
                p["q_w"] = self._param(pre + "attn.q.weight", (d, d), 1.0 / d)
                p["k_w"] = self._param(pre + "attn.k.weight", (hd, d),
                                       1.0 / d)
                p["v_w"] = self._param(pre + "attn.v.weight", (hd, d),
                                       1.0 / d)
                p["o_w"] = self._param(pre + "attn.out.weight", (d, d),
                                       fin / d)
                p["o_b"] = self._param(pre + "attn.out.bias", (d,))
            p["cnorm"] = self._param(pre + "cnorm.scale", (d,))
            p["up1_w"] = self._param(pre + "mlp.up1.weight", (M, d), 1.0 / d)
            p["up1_b"] = self._param(pre + "mlp.up1.bias", (M,))
            p["up2_w"] = self._param(pre + "mlp.up2.weight", (M, d), 1.0 / d)
            p["up2_b"] = self._param(pre + "mlp.up2.bias", (M,))
            p["down_w"] = self._param(pre + "mlp.down.weight", (d, M),
                                      fin / M)
            p["down_b"] = self._param(pre + "mlp.down.bias", (d,))
            self.blocks.append(p)
        self.fnorm = self._param("fnorm.scale", (d,))

    def _param(self, name, shape, var=0.0):
        """A parameter under repscope's name, N(0, var) (0: zeros)."""
        t = torch.zeros(shape)
        if var > 0.0:
            t.normal_(0.0, math.sqrt(var))
        p = nn.Parameter(t)
        self.register_parameter(name.replace(".", "_"), p)
        self._names.append(name)
        return p

    def c_params(self):
        """[(repscope name, parameter)] in repscope's registration order."""
        return [(n, getattr(self, n.replace(".", "_"))) for n in self._names]

    def _recurrent(self, p, x):
        B, T, _ = x.shape
        y = F.gelu(F.linear(x, p["y_w"], p["y_b"]), approximate="tanh")
        u = F.linear(x, p["x_w"], p["x_b"])                  # (B, T, L)
        # causal depthwise conv: out_t = sum_s w[K-1-s] u_{t-s} + b, zeros
        # before t = 0
        K = self.conv_width
        up = F.pad(u, (0, 0, K - 1, 0))
        u = sum(p["conv_w"][k] * up[:, k:k + T] for k in range(K)) + \
            p["conv_b"]

        def blockdiag(w, b):  # y[.., h, j] = sum_i x[.., h, i] W[h, i, j]
            H = w.shape[0]
            z = torch.einsum("bthi,hij->bthj", u.view(B, T, H, -1), w)
            return z.reshape(B, T, -1) + b

        gate_a = torch.sigmoid(blockdiag(p["ga_w"], p["ga_b"]))
        gate_x = torch.sigmoid(blockdiag(p["gx_w"], p["gx_b"]))
        log_a = -8.0 * gate_a * F.softplus(p["a_param"])
        a = torch.exp(log_a)
        mult = SqrtBoundDerivative.apply(1.0 - torch.exp(2.0 * log_a))
        reset = torch.zeros(T, 1, dtype=torch.bool)
        reset[0] = True                                      # t = 0
        a = torch.where(reset, torch.zeros_like(a), a)
        mult = torch.where(reset, torch.ones_like(mult), mult)
        h = rnn_scan(u * gate_x * mult, a)
        return F.linear(h * y, p["out_w"], p["out_b"])

    def _attention(self, p, x):
        q = rope_half(F.linear(x, p["q_w"]), self.heads, self.rope_base)
        k = rope_half(F.linear(x, p["k_w"]), 1, self.rope_base)
        v = F.linear(x, p["v_w"])
        o = mqa(q, k, v, self.heads, self.window)
        return F.linear(o, p["o_w"], p["o_b"])

    def forward(self, ids):  # ids (B, T) -> logits (B, T, vocab)
        x = F.embedding(ids, self.embed)
        if self.embed_scale:
            x = x * math.sqrt(self.d)
        for kind, p in zip(self.kinds, self.blocks):
            n = rms_norm(x, p["tnorm"])
            x = x + (self._recurrent(p, n) if kind == "R" else
                     self._attention(p, n))
            n = rms_norm(x, p["cnorm"])
            m = F.gelu(F.linear(n, p["up1_w"], p["up1_b"]),
                       approximate="tanh") * F.linear(n, p["up2_w"],
                                                      p["up2_b"])
            x = x + F.linear(m, p["down_w"], p["down_b"])
        logits = F.linear(rms_norm(x, self.fnorm), self.embed)
        if self.soft_cap > 0.0:
            logits = self.soft_cap * torch.tanh(logits / self.soft_cap)
        return logits


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


# rs_bench's parameter names (registry "<module>.<child>.<name>") -> ours.
SPARC_NAMES = {
    "1.2.weight": "patch.weight", "1.2.bias": "patch.bias",
    "1.3.weight": "pos",
    "1.5.weight": "img.1.weight", "1.5.bias": "img.1.bias",
    "1.7.weight": "img.3.weight", "1.7.bias": "img.3.bias",
    "2.1.weight": "txt.0.weight",
    "2.3.weight": "txt.2.weight", "2.3.bias": "txt.2.bias",
    "2.5.weight": "txt.4.weight", "2.5.bias": "txt.4.bias",
    "3.value": "log_tau",
}


def read_dump(path, names, model):
    """rs_bench --dump FILE: load its parameters into model (renamed by
    names) and return its other records: {tag: list of numbers (ints for
    "ids", "act" and "tgt")}, "loss" a float."""
    params, rec = {}, {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if w[0] == "param":
                params[names[w[1]]] = [float(v) for v in w[3:]]
            elif w[0] == "loss":
                rec["loss"] = float(w[1])
            elif w[0] in ("ids", "act", "tgt"):
                rec[w[0]] = [int(v) for v in w[2:]]
            else:
                rec[w[0]] = [float(v) for v in w[2:]]
    own = dict(model.named_parameters())
    if sorted(own) != sorted(params):
        sys.exit("torch_ref: %s: parameters %s, expected %s" % (
            path, sorted(params), sorted(own)))
    with torch.no_grad():
        for name, p in own.items():
            p.copy_(torch.tensor(params[name]).view_as(p))
    return rec


def print_check(want, got, got64):
    print("check workload=%s repscope=%.7g torch=%.7g torch64=%.7g "
          "rel=%.2g rel64=%.2g" % (ARGS.workload, want, got, got64,
                                   abs(got - want) / abs(got),
                                   abs(got64 - want) / abs(got64)))


def sparc_check(path):
    """The loss of rs_bench's dump on its weights and batch 0."""
    model = Sparc()
    rec = read_dump(path, SPARC_NAMES, model)
    x = torch.tensor(rec["x"]).view(-1, Sparc.P * Sparc.Q)
    ids = torch.tensor(rec["ids"]).view(x.shape[0], -1)
    with torch.no_grad():
        got = model(x, ids).item()
        got64 = model.double()(x.double(), ids).item()
    print_check(rec["loss"], got, got64)


# rs_bench's ppo-mlp names (learner registry "<module>.<layer>.<name>").
PPO_NAMES = {"%d.l%d.%s" % (m + 1, k + 1, t): "%s.%d.%s" % (net, 2 * k, t)
             for m, net in enumerate(("actor", "critic"))
             for k in range(3) for t in ("weight", "bias")}


def ppo_check(path):
    """The ppo-mlp loss of rs_bench's dump on its weights and batch 0."""
    model = ActorCritic()
    rec = read_dump(path, PPO_NAMES, model)
    obs = torch.tensor(rec["obs"]).view(-1, ActorCritic.OBS)
    act = torch.tensor(rec["act"])
    cols = [torch.tensor(rec[k]) for k in ("logp_old", "adv", "ret")]
    with torch.no_grad():
        got = model.loss(obs, act, *cols).item()
        got64 = model.double().loss(obs.double(), act,
                                    *(c.double() for c in cols)).item()
    print_check(rec["loss"], got, got64)


HAWK = dict(vocab=64, d=128, layers=2, pattern="R", heads=2, lru_width=128,
            window=32, mlp_mult=3, conv_width=4)
HAWK_T, HAWK_B = 64, 32


def hawk_loss(model, ids, tgt):
    logits = model(ids)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                           tgt.reshape(-1))


def hawk_check(path):
    """The hawk loss of rs_bench's dump on its weights and batch 0."""
    model = Griffin(**HAWK)
    names = {n: n.replace(".", "_") for n, _ in model.c_params()}
    rec = read_dump(path, names, model)
    ids = torch.tensor(rec["ids"]).view(HAWK_B, HAWK_T)
    tgt = torch.tensor(rec["tgt"]).view(HAWK_B, HAWK_T)
    with torch.no_grad():
        got = hawk_loss(model, ids, tgt).item()
        got64 = hawk_loss(model.double(), ids, tgt).item()
    print_check(rec["loss"], got, got64)


def hawk_workload():
    model = Griffin(**HAWK)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
    toks = torch.randint(0, HAWK["vocab"], (NBATCH, HAWK_B, HAWK_T + 1))

    def step(k):
        j = k % NBATCH
        loss = hawk_loss(model, toks[j, :, :-1], toks[j, :, 1:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss
    return model, step


def sparc_workload():
    batch, m = 64, Sparc
    model = Sparc()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)
    xs = torch.rand(NBATCH, batch, m.P * m.Q)
    # 4 distinct class words (ids 1..10) per caption, in a random order
    ids = torch.rand(NBATCH, batch, 10).argsort(-1)[..., :m.L] + 1

    def step(k):
        j = k % NBATCH
        loss = model(xs[j], ids[j])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss
    return model, step


def ppo_workload():
    batch, m = 2048, ActorCritic
    model = ActorCritic()
    opt = torch.optim.Adam(model.parameters(), lr=3e-4, eps=1e-5)
    obs = torch.randn(NBATCH, batch, m.OBS)
    act = torch.randint(0, m.ACT, (NBATCH, batch))
    logp_old = torch.log(torch.rand(NBATCH, batch).clamp_min(0.05))
    adv = torch.randn(NBATCH, batch)
    ret = torch.randn(NBATCH, batch)

    def step(k):
        j = k % NBATCH
        loss = model.loss(obs[j], act[j], logp_old[j], adv[j], ret[j])
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
    "sparc": sparc_workload,
    "ppo-mlp": ppo_workload,
    "hawk": hawk_workload,
}

CHECKS = {"sparc": sparc_check, "ppo-mlp": ppo_check, "hawk": hawk_check}


def main():
    if ARGS.check is not None:
        if ARGS.workload not in CHECKS:
            sys.exit("torch_ref: --check is for %s" % ", ".join(CHECKS))
        CHECKS[ARGS.workload](ARGS.check)
        return
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
