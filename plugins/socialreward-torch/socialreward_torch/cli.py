"""Command line of socialreward-torch (``python -m socialreward_torch``).

Without a command (or with ``serve``) it runs as an srbench plugin. Other
commands, for tests, ``srbench ablate`` and people:

``init-random --out DIR --seed S [--size tiny|small] [dimension flags]``
    writes a random-weight OpenAI-format CLIP model directory (model.pt,
    the OpenAI vocabulary, srbench.yaml).
``score --model DIR --items ITEMS.jsonl``
    scores ``{"id", "prompt", "image"}`` lines (image: a path, relative to the
    file's directory) and prints ``{"fingerprint", "scores": [{"id", "score",
    "error"}]}``.
``train --model DIR --train PAIRS.jsonl [--validation PAIRS.jsonl] --out DIR [--config JSON|@FILE]``
    trains on srbench pairs-jsonl files (``prompt``, ``image_a``, ``image_b``,
    ``label`` a/b/tie, optional ``id`` and ``weight``; ties are skipped, as
    the host does) and prints each progress event as a JSON line.
``export --model DIR --out DIR``
    writes the ONNX towers (and the rest of a model directory) without training.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, fields
from typing import List, Optional, Sequence

from . import export, modeldir
from .engine import Engine, ItemInput, resolve_device
from .model import CLIP_VOCAB, RandomSpec, init_random
from .preprocess import Preprocessor
from .tokenizer import CLIPTokenizer
from .trainer import Event, TrainConfig, Triplet, set_threads

#: Dimension presets of init-random. "tiny" keeps each exported ONNX file
#: under 1 MB: its 512-row token embedding takes ids modulo 512 (see
#: model.py); "small" has the real 49408-token vocabulary.
SIZES = {
    "tiny": RandomSpec(vocab_size=512),
    "small": RandomSpec(vision_width=64, text_width=48, embed_dim=48, vocab_size=CLIP_VOCAB),
}


def default_vocab() -> str:
    """The OpenAI vocabulary in ../shared/data/clip beside the checkout, run
    from plugins/socialreward-torch or from the zipapp in bin/plugins."""
    here = os.path.dirname(os.path.abspath(__file__))
    rel = os.path.join("shared", "data", "clip", modeldir.VOCAB)
    candidates = [os.path.normpath(os.path.join(here, *[".."] * up, rel)) for up in (4, 5)]
    return next((c for c in candidates if os.path.isfile(c)), candidates[0])


def cmd_init_random(a: argparse.Namespace) -> None:
    spec = SIZES[a.size]
    over = {f.name: getattr(a, f.name) for f in fields(RandomSpec) if getattr(a, f.name, None) is not None}
    spec = RandomSpec(**{**asdict(spec), **over})
    vocab = a.vocab_file or default_vocab()
    if not os.path.isfile(vocab):
        raise SystemExit(f"init-random: vocabulary {vocab} not found (pass --vocab-file)")
    model = init_random(spec, a.seed)
    desc = (f"random-weight OpenAI-format CLIP ({a.size}: vision {spec.vision_layers}x{spec.vision_width}, "
            f"text {spec.text_layers}x{spec.text_width}, vocab {spec.vocab_size}), seed {a.seed}; for tests")
    export.write_model_dir(model, a.out, vocab, desc, onnx=a.onnx)
    print(json.dumps({"model_dir": os.path.abspath(a.out), "fingerprint": modeldir.fingerprint(a.out),
                      "config": model.config.to_dict()}))


def _engine(a: argparse.Namespace) -> Engine:
    d = modeldir.load(a.model)
    return Engine(d.model, CLIPTokenizer(d.vocab_path), resolve_device(a.device), a.batch_size)


def cmd_score(a: argparse.Namespace) -> None:
    eng = _engine(a)
    base = os.path.dirname(os.path.abspath(a.items))
    ids: List[str] = []
    inputs: List[ItemInput] = []
    with open(a.items, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            r = json.loads(line)
            ids.append(str(r.get("id", n)))
            path = os.path.join(base, r["image"])
            try:
                with open(path, "rb") as im:
                    inputs.append(ItemInput(prompt=r["prompt"], image=im.read()))
            except OSError as e:
                inputs.append(ItemInput(prompt=r["prompt"], image=None, error=str(e)))
    res = eng.score(inputs)
    out = {"fingerprint": modeldir.fingerprint(a.model),
           "scores": [{"id": i, "score": s, "error": e} for i, (s, e) in zip(ids, res)]}
    _write(a.out, out)


def read_pairs(path: str) -> List[Triplet]:
    """Triplets from an srbench pairs-jsonl file (ties skipped)."""
    base = os.path.dirname(os.path.abspath(path))
    out: List[Triplet] = []
    with open(path, encoding="utf-8-sig") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            r = json.loads(line)
            label = r.get("label")
            if label == "tie":
                continue
            if label not in ("a", "b"):
                raise ValueError(f"{path}:{n}: label {label!r}: want a, b or tie")
            a_img, b_img = (r["image_a"], r["image_b"]) if label == "a" else (r["image_b"], r["image_a"])

            def read(p: str) -> bytes:
                with open(os.path.join(base, p), "rb") as im:
                    return im.read()

            w = r.get("weight")
            out.append(Triplet(id=str(r.get("id", f"line {n}")), prompt=r["prompt"], preferred=read(a_img),
                               other=read(b_img), weight=1.0 if w is None else float(w)))
    return out


def cmd_train(a: argparse.Namespace) -> None:
    from .plugin import run_training

    d = modeldir.load(a.model)
    cfg_text = a.config or ""
    if cfg_text.startswith("@"):
        with open(cfg_text[1:], encoding="utf-8") as f:
            cfg_text = f.read()
    cfg = TrainConfig.from_json(cfg_text)
    device = resolve_device(cfg.device or a.device)
    tok = CLIPTokenizer(d.vocab_path)
    pre = Preprocessor(d.model.config.image_resolution)
    train = read_pairs(a.train)
    val = read_pairs(a.validation) if a.validation else []

    def emit(e: Event) -> None:
        print(json.dumps(asdict(e)), flush=True)

    final = run_training(d, modeldir.fingerprint(d.path), tok, pre, device, cfg, train, val, a.out, emit)
    print(json.dumps({**final, "checkpoint_dir": os.path.abspath(a.out)}), flush=True)


def cmd_export(a: argparse.Namespace) -> None:
    d = modeldir.load(a.model)
    desc = d.manifest.description or f"exported from {modeldir.fingerprint(d.path)}"
    export.write_model_dir(d.model, a.out, d.vocab_path, desc)
    print(json.dumps({"model_dir": os.path.abspath(a.out), "fingerprint": modeldir.fingerprint(a.out)}))


def _write(path: Optional[str], obj: object) -> None:
    text = json.dumps(obj, indent=1)
    if path:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        print(text)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m socialreward_torch", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0 = torch's default)")
    sub = p.add_subparsers(dest="cmd")
    sub.add_parser("serve", help="run as an srbench plugin (the default)")

    ir = sub.add_parser("init-random", help="write a random-weight model directory")
    ir.add_argument("--out", required=True)
    ir.add_argument("--seed", type=int, default=0)
    ir.add_argument("--size", choices=sorted(SIZES), default="tiny")
    ir.add_argument("--vocab-file", help="the OpenAI bpe_simple_vocab_16e6.txt.gz (default: ../shared/data/clip)")
    ir.add_argument("--onnx", action="store_true", help="also write the ONNX towers")
    for f in fields(RandomSpec):
        ir.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=int, default=None)

    for name, fn_help in (("score", "score items with the torch model"), ("train", "train and export"),
                          ("export", "export ONNX towers")):
        sp = sub.add_parser(name, help=fn_help)
        sp.add_argument("--model", required=True, help="torch model directory")
        sp.add_argument("--device", default="cpu")
        if name == "score":
            sp.add_argument("--items", required=True)
            sp.add_argument("--out", help="write the JSON here instead of stdout")
            sp.add_argument("--batch-size", type=int, default=0)
        elif name == "train":
            sp.add_argument("--train", required=True, help="pairs-jsonl")
            sp.add_argument("--validation", help="pairs-jsonl")
            sp.add_argument("--out", required=True)
            sp.add_argument("--config", help="training config JSON, or @FILE")
        else:
            sp.add_argument("--out", required=True)
    return p


def main(argv: Optional[Sequence[str]] = None) -> None:
    a = parser().parse_args(argv)
    set_threads(a.threads)
    if a.cmd in (None, "serve"):
        from .plugin import serve

        serve()
        return
    try:
        {"init-random": cmd_init_random, "score": cmd_score, "train": cmd_train, "export": cmd_export}[a.cmd](a)
    except (ValueError, OSError, KeyError) as e:
        print(f"socialreward-torch {a.cmd}: {e}", file=sys.stderr)
        raise SystemExit(1)
