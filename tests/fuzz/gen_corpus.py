#!/usr/bin/env python3
# repscope - MIT licence, see COPYING.
#
# gen_corpus.py: (re)make the generated seeds of tests/fuzz/corpus and the
# list of every corpus file (tests/fuzz/corpus.mk, for make dist). Run it
# from the top of the tree after adding a regression input by hand:
#   python3 tests/fuzz/gen_corpus.py
# Seeds that come from real files (scenes, a checkpoint of a tiny run,
# run.jsonl lines) are copied by hand once and kept; this script writes
# only the small synthetic ones (seed-*) and never removes a file.
import gzip
import json
import os
import struct

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CORPUS = os.path.join(TOP, "tests", "fuzz", "corpus")


def put(sub, name, data):
    d = os.path.join(CORPUS, sub)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def fnv(b):
    h = 14695981039346656037
    for c in b:
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def ckpt(sections):
    out = b"RSCKPT01" + struct.pack("<I", len(sections))
    for kind, name, payload, count in sections:
        n = name.encode()
        out += struct.pack("<II", kind, len(n)) + n
        out += struct.pack("<Q", count) + payload
    return out + struct.pack("<Q", fnv(out))


def idx_images(n, r, c):
    return struct.pack(">IIII", 0x803, n, r, c) + bytes(
        (i * 7) % 256 for i in range(n * r * c))


def idx_labels(n):
    return struct.pack(">II", 0x801, n) + bytes(i % 10 for i in range(n))


def main():
    # idx: mode byte (bit 0 labels, bit 1 gzip here, bit 2 cut) + file
    put("idx", "seed-images-plain", b"\x00" + idx_images(2, 3, 4))
    put("idx", "seed-labels-plain", b"\x01" + idx_labels(5))
    put("idx", "seed-images-gzip-here", b"\x02\x00" + idx_images(2, 3, 4))
    put("idx", "seed-labels-gzip-here", b"\x03\x00" + idx_labels(5))
    put("idx", "seed-images-gzip-cut", b"\x06\x03" + idx_images(1, 2, 2))
    put("idx", "seed-images-gzfile",
        b"\x00" + gzip.compress(idx_images(2, 3, 4), mtime=0))
    put("idx", "seed-labels-gzfile",
        b"\x01" + gzip.compress(idx_labels(7), mtime=0))
    put("idx", "seed-labels-trailing", b"\x01" + idx_labels(3) + b"xx")
    put("idx", "seed-images-truncated", b"\x00" + idx_images(2, 3, 4)[:30])
    # ckpt: mode byte (bit 0 fix the checksum, bit 1 round trip) + file
    f32 = struct.pack("<3f", 1.0, -0.0, float("inf"))
    u64 = struct.pack("<2Q", 7, 2**64 - 1)
    full = ckpt([(1, "model/w", f32, 3), (2, "rng", u64, 2),
                 (3, "lua/params", b'{"lr":0.001}', 12), (1, "empty", b"", 0)])
    put("ckpt", "seed-sections", b"\x03" + full)
    put("ckpt", "seed-sections-raw", b"\x00" + full)
    put("ckpt", "seed-empty", b"\x03" + ckpt([]))
    put("ckpt", "seed-dup-name",
        b"\x03" + ckpt([(3, "a", b"x", 1), (3, "a", b"yz", 2)]))
    put("ckpt", "seed-truncated", b"\x00" + full[:40])
    # read in n^2 before (100000 sections: 15 s); a small one of the kind
    put("ckpt", "regress-ckpt-many-sections", b"\x03" + ckpt(
        [(3, "s%03d" % i, b"", 0) for i in range(150)]))
    # json
    put("json", "seed-object", json.dumps(
        {"a": [1, 2.5, -0.0, 1e300, True, False, None],
         "s": "\u00e9\u4e2d\U0001f600\\\"\n", "n": {"x": {}}}))
    put("json", "seed-escapes", r'["\u0000\ud83d\ude00\/\b\f\n\r\t", "\u00e9"]')
    put("json", "seed-numbers",
        "[0,-0,1e999,-1e999,12345678901234567890,9223372036854775807,"
        "-9223372036854775808,1.5e-320,0.1,123.456e7]")
    put("json", "seed-deep", "[" * 63 + "]" * 63)
    put("json", "seed-dup-keys", '{"a":1,"a":2,"":3}')
    put("json", "seed-bad-utf8", b'{"k\xff":"\xc0\xaf\xed\xa0\x80"}')
    # viewspec: mode byte (bit 0: bus names for the defaults) + text
    views = {"version": 1, "title": "t", "notes": "n", "views": [
        {"kind": "curves", "title": "loss",
         "series": ["train/loss", "test/loss"], "y": "log", "ymin": 0,
         "markers": False, "small": True, "band": True, "xfrom": "data"},
        {"kind": "spectrum", "layer": "l2", "log": True},
        {"kind": "rank_heatmap", "layers": ["l1", "l2", "l3"],
         "metric": "srank", "series": ["a/probe/srank/l1"]},
        {"kind": "neurons", "layer": "l1", "matrix": "a/neurons/l1"},
        {"kind": "heatmap", "matrix": "m", "rows": "r", "cols": "c",
         "vmin": -1, "vmax": 1},
        {"kind": "align", "matrices": ["a/align", "b/align"],
         "learners": ["a", "b"], "truth": "truth", "grid": 3},
        {"kind": "frame", "matrix": "f", "glyphs": "#.", "colors": "rg",
         "wide": True, "labels": ["x", "y"]},
        {"kind": "profile", "matrices": ["p"], "mark": 3,
         "mark_label": "m", "xlabel": "x", "ylabel": "y"},
        {"kind": "scatter", "series": ["a/x", "b/x"],
         "yseries": ["a/y", "b/y"], "learners": ["a"], "xmin": 0},
        {"kind": "bars", "matrices": ["q"]}, {"kind": "text"},
        {"kind": "table", "matrix": "t"}, {"kind": "future"}],
        "tour": [{"title": "p1", "text": "hello"}]}
    put("viewspec", "seed-all-kinds", "\x00" + json.dumps(views))
    put("viewspec", "seed-default-names",
        "\x01train/loss\nspectrum/l1\ntest/acc\nneurons/l1\nprobe/srank/l1"
        "\nx\nnorm/w\n")
    # runlog: mode byte (bit 0 member, bit 1 A is matrices.jsonl), split
    meta = {"type": "meta", "scene": "demo", "seed": 1, "steps": 100,
            "kernel": "k"}
    log = "\n".join(json.dumps(x) for x in [
        meta, {"step": 1, "train/loss": 2.5, "acc": None, "s": "x"},
        {"type": "event", "step": 2, "kind": "pause", "text": "paused"},
        {"type": "event", "step": 2, "kind": "views",
         "text": json.dumps({"title": "T", "views": []})},
        {"type": "event", "step": 3, "kind": "eval", "text": "p.lr"},
        {"step": 4, "time/steps_per_s": 10.0},
        {"type": "event", "step": 5, "kind": "done", "text": "done"}]) + "\n"
    mats = "\n".join(json.dumps(x) for x in [
        {"name": "spectrum/l1", "step": 1, "rows": 1, "cols": 4,
         "offset": 0},
        {"name": "m", "step": 2, "rows": 2, "cols": 2, "offset": 16,
         "row_labels": ["a", "b"], "col_labels": ["c", "d"]},
        {"name": "far", "step": 3, "rows": 2, "cols": 2, "offset": 4090}])
    mats += "\n"
    put("runlog", "seed-log", b"\x00\x80" + log.encode())
    put("runlog", "seed-log-member", b"\x01\xff" + log.encode())
    put("runlog", "seed-matrices", b"\x02" + bytes([
        round(255 * len(mats) / (len(mats) + len(log)))]) +
        (mats + log).encode())
    # set: mode byte (0 main, 1 sweep, 2 export, 3 compare) + NUL words
    def words(*w):
        return "\0".join(w).encode()
    put("set", "seed-main", b"\x00" + words(
        "--set", "p=97", "--set=lr=1e-3", "--steps", "10", "--seed", "3",
        "--headless", "demo_mlp", "flag=off", "act=tanh", "k=3", "r=0.5",
        "frac=0x1p-1", "width= 16 ", "big=inf", "name="))
    put("set", "seed-sweep", b"\x01" + words(
        "demo_mlp", "--set", "lr=1e-3,1e-2", "--seeds", "1-3", "-j", "2",
        "--out", "o", "--dry-run"))
    put("set", "seed-export", b"\x02" + words("run", "--csv", "--out", "-"))
    put("set", "seed-compare", b"\x03" + words("a", "b", "--frame",
                                               "--size", "80x24"))
    # scene: a scene that leans on string patterns (the matcher that pays,
    # lua/host_match.c, under the harness's instruction cap)
    put("scene", "seed-patterns", "\n".join([
        'local rs = require "repscope"',
        'local names = {}',
        'for k, v in ("lr=1e-3, width=64, act=relu"):gmatch("(%w+)=([%w%-%.]+)") do',
        '  names[#names + 1] = k .. ":" .. v',
        'end',
        'local s = ("THE (quick) fox"):gsub("%f[%a]%a+", function(w) return w:lower() end)',
        'assert(s:find("%b()") and s:match("^%s*(.-)%s*$"))',
        'local slow = ("a"):rep(40):find(".-.-.-b")',
        'return rs.scene{',
        '  title = table.concat(names, " "),',
        '  step = function(ctx) end,',
        '}', '']))
    # rundir: mode byte (bit 0 sweep.json, else run.jsonl for replay) +
    # the file; run.jsonl: a meta line, records, every kind of action, a
    # checkpoint, a quit, and a --resume from that checkpoint (the
    # actions after it are dropped); real-sweep-json is a real sweep.json
    meta = {"type": "meta", "scene": "demo_mlp", "scene_path":
            "scenes/demo_mlp.lua", "params": {"lr": 0.002, "width": 8,
                                              "act": "relu", "flag": True},
            "seed": 3, "steps": 40, "threads": 1, "checkpoint_every": 10,
            "pause_on_nonfinite": False, "kernel": "openblas Haswell"}
    acts = [(0, "pause", {}), (0, "resume", {}), (2, "step", {"n": 3}),
            (5, "speed", {"x": 120.5}), (5, "set", {"key": "lr",
                                                     "value": "3e-4"}),
            (6, "eval", {"code": "print(1 + 1)"}), (7, "pause_at",
                                                     {"n": 30}),
            (8, "checkpoint", {}), (9, "restart", {})]
    lines = [json.dumps(meta)]
    for step in range(1, 12):
        lines.append(json.dumps({"step": step, "train/loss": 1.0 / step}))
        for after, kind, extra in acts:
            if after == step:
                a = {"type": "action", "after_step": after, "do": kind}
                a.update(extra)
                a["ok"] = kind != "eval"
                lines.append(json.dumps(a))
    lines.append(json.dumps({"type": "event", "step": 10, "kind":
                             "checkpoint", "text": "ckpt.bin"}))
    lines.append(json.dumps({"type": "action", "after_step": 11, "do":
                             "set", "key": "width", "value": "16",
                             "ok": True}))
    lines.append(json.dumps({"type": "action", "after_step": 11, "do":
                             "quit", "ok": True}))
    lines.append(json.dumps({"type": "event", "step": 10, "kind": "resume",
                             "text": "resume from run/ckpt.bin at step 10"}))
    lines.append(json.dumps({"step": 11, "train/loss": 0.05}))
    lines.append(json.dumps({"type": "event", "step": 40, "kind": "done",
                             "text": "done"}))
    put("rundir", "seed-run-actions", b"\x00" + "\n".join(lines).encode()
        + b"\n")
    put("rundir", "seed-run-torn", b"\x00" + "\n".join(lines[:8]).encode()
        + b'\n{"step": 9, "train/lo')
    put("rundir", "seed-sweep-exits", b"\x01" + json.dumps({
        "repscope_sweep": 1, "scene": "demo_mlp", "steps": 50,
        "grid": {"lr": ["1e-3", "3e-3"]}, "points": [
            {"index": i, "name": "lr=%s,seed=1" % lr, "params": {"lr": lr},
             "seed": 1, "run_dir": "sw/p%d" % i, "log": "sw/logs/p%d.log" % i,
             "argv": ["repscope", "--headless", "demo_mlp"],
             "command": "repscope --headless demo_mlp", "exit": e}
            for i, (lr, e) in enumerate([("1e-3", 0), ("3e-3", 1)])]}).encode())
    # match: op byte (find, plain find, match, gmatch, gsub with the
    # template, a table, a function), start byte, then pattern, subject
    # and template separated by 0x1e
    def match(op, init, pat, subj, tmpl=""):
        return bytes([op, init & 0xFF]) + b"\x1e".join(
            x.encode() if isinstance(x, str) else x for x in (pat, subj, tmpl))
    put("match", "seed-find-captures", match(0, 1, "(%w+)=(%w+)", "key=val"))
    put("match", "seed-find-plain", match(1, 2, "a.b", "xa.ba.b"))
    put("match", "seed-match-trim", match(2, 1, "^%s*(.-)%s*$", "  hi  "))
    put("match", "seed-gmatch-words", match(3, 1, "%f[%w]%w+", "THE (quick) fox"))
    put("match", "seed-gmatch-empty", match(3, -2, "a*", "baaac"))
    put("match", "seed-gsub-template", match(4, -1, "(%a)(%d?)", "a1 b2 c", "<%2%1%0%%>"))
    put("match", "seed-gsub-table", match(5, 2, "%a", "a b ( c"))
    put("match", "seed-gsub-function", match(6, -1, "()(%b())", "f(a(b)c) (d"))
    put("match", "seed-sets", match(0, 1, "[^%]a-][%d-]+$", "x]9-9"))
    put("match", "seed-backref", match(2, 1, "([\"'])(.-)%1", "say 'hi' now"))
    write_list()


def write_list():
    files = []
    for root, _, names in os.walk(CORPUS):
        for n in names:
            files.append(os.path.relpath(os.path.join(root, n), TOP))
    files.sort()
    with open(os.path.join(TOP, "tests", "fuzz", "corpus.mk"), "w") as f:
        f.write("# Every file of tests/fuzz/corpus, for make dist. Made by\n"
                "# tests/fuzz/gen_corpus.py (run it after adding one).\n")
        f.write("RS_FUZZ_CORPUS =")
        for p in files:
            f.write(" \\\n\t" + p.replace("tests/fuzz/", "%D%/", 1))
        f.write("\n")


if __name__ == "__main__":
    main()
