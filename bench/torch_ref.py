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
# A step is forward + cross-entropy + zero_grad + backward + optimiser
# step; --warmup untimed steps come first. torch 1.13 defaults throughout.
#
# Run with the system interpreter (Debian's python3-torch lives there):
#     /usr/bin/python3 bench/torch_ref.py --workload grok-mlp --steps 100
# Thread counts go into the environment before torch loads: Debian's
# OpenBLAS is the pthread build, and torch.set_num_threads does not reach
# it; only OPENBLAS_NUM_THREADS (read when the library loads) does.
# --blas-info prints the versions and the OpenBLAS kernels to stderr.
# --check FILE (sparc, ppo-mlp) loads the weights and batch that `rs_bench
# --workload W --dump FILE` wrote and prints
#     check workload=W repscope=X torch=Y torch64=Z rel=R rel64=R2
# (torch's loss in float32 and float64; rel = |torch - repscope| / |torch|).
import argparse
import os
import sys
import time

WORKLOADS = ("grok-mlp", "fmnist-mlp", "relu-mlp", "tanh-mlp", "tiny-gpt",
             "sparc", "ppo-mlp")
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
                    help="sparc, ppo-mlp: recompute the loss of rs_bench "
                    "--dump FILE")
    args = ap.parse_args()
    if args.steps < 1 or args.threads < 1:
        ap.error("--steps and --threads must be at least 1")
    return args


ARGS = parse_args()
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)

import ctypes  # noqa: E402  (after the thread counts, on purpose)
import math  # noqa: E402

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
    "ids" and "act")}, "loss" a float."""
    params, rec = {}, {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if w[0] == "param":
                params[names[w[1]]] = [float(v) for v in w[3:]]
            elif w[0] == "loss":
                rec["loss"] = float(w[1])
            elif w[0] in ("ids", "act"):
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
}

CHECKS = {"sparc": sparc_check, "ppo-mlp": ppo_check}


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
