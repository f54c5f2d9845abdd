"""Model directories of the PyTorch trainer: loading, writing, fingerprints.

A torch model directory holds ``model.pt`` (an OpenAI-format CLIP state
dict, or an OpenAI TorchScript archive), the OpenAI BPE vocabulary
``bpe_simple_vocab_16e6.txt.gz`` and ``srbench.yaml``::

    kind: socialreward
    variant: torch-blocks
    constants: {vision_heads: 4, text_heads: 4}   # optional: width // 64 otherwise
    strings: {tokenizer: bpe_simple_vocab_16e6.txt.gz, pipeline: openai}
    description: ...

The fingerprint is the one srbench's Go side computes (harness/modeldir):
``sha256:`` + hex of sha256 over every regular file below the directory
(symbolic links followed), sorted by their slash-separated relative names
(byte order), each fed as ``name \\0 size \\0 content``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import yaml

from .model import CLIP, build_model, load_state_dict_file

MANIFEST = "srbench.yaml"
WEIGHTS = "model.pt"
VOCAB = "bpe_simple_vocab_16e6.txt.gz"
KIND = "socialreward"
VARIANT = "torch-blocks"


@dataclass
class Manifest:
    """srbench.yaml (the fields srbench's Go modeldir.Manifest knows)."""

    kind: str
    variant: str = ""
    constants: Dict[str, float] = field(default_factory=dict)
    strings: Dict[str, str] = field(default_factory=dict)
    description: str = ""

    def to_yaml(self) -> str:
        d: Dict[str, object] = {"kind": self.kind}
        if self.variant:
            d["variant"] = self.variant
        if self.constants:
            d["constants"] = dict(self.constants)
        if self.strings:
            d["strings"] = dict(self.strings)
        if self.description:
            d["description"] = self.description
        return yaml.safe_dump(d, sort_keys=False, allow_unicode=True)


_MANIFEST_FIELDS = {"kind", "variant", "constants", "strings", "description"}


def read_manifest(dir_path: str) -> Manifest:
    """Reads and checks dir_path/srbench.yaml (unknown fields are errors, as
    in the Go reader)."""
    path = os.path.join(dir_path, MANIFEST)
    if not os.path.isfile(path):
        raise ValueError(f"model directory {dir_path}: missing {MANIFEST} (want at least `kind: {KIND}`)")
    with open(path, "rb") as f:
        raw = yaml.safe_load(f) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: want a mapping")
    unknown = sorted(set(raw) - _MANIFEST_FIELDS)
    if unknown:
        raise ValueError(f"{path}: unknown field(s) {', '.join(unknown)}")
    kind = raw.get("kind") or ""
    if kind != KIND:
        raise ValueError(f"{path}: field \"kind\" is {kind!r}, but this is the {KIND} torch scorer")
    constants = raw.get("constants") or {}
    strings = raw.get("strings") or {}
    if not isinstance(constants, dict) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in constants.values()):
        raise ValueError(f"{path}: field \"constants\" must map names to numbers")
    if not isinstance(strings, dict) or not all(isinstance(v, str) for v in strings.values()):
        raise ValueError(f"{path}: field \"strings\" must map names to strings")
    return Manifest(
        kind=kind,
        variant=str(raw.get("variant") or ""),
        constants={str(k): float(v) for k, v in constants.items()},
        strings={str(k): v for k, v in strings.items()},
        description=str(raw.get("description") or ""),
    )


def _files(root: str) -> List[Tuple[str, str]]:
    """(relative slash name, real path) of every regular file below root,
    symbolic links followed, sorted by the name's UTF-8 bytes."""
    out: List[Tuple[str, str]] = []
    visiting = set()

    def walk(real: str, rel: str) -> None:
        key = os.path.realpath(real)
        if key in visiting:
            raise ValueError(f"symbolic link loop: {os.path.join(root, rel)} leads back to {key}")
        visiting.add(key)
        try:
            for name in os.listdir(real):
                p = os.path.join(real, name)
                r = f"{rel}/{name}" if rel else name
                if os.path.islink(p) and not os.path.exists(p):
                    raise ValueError(f"symbolic link {os.path.join(root, r)}: target missing")
                if os.path.isdir(p):
                    walk(p, r)
                elif os.path.isfile(p):
                    out.append((r, p))
        finally:
            visiting.discard(key)

    walk(os.path.realpath(root), "")
    if not out:
        raise ValueError(f"no files in {root}: nothing to fingerprint")
    out.sort(key=lambda e: e[0].encode("utf-8", "surrogateescape"))
    return out


def fingerprint(dir_path: str) -> str:
    """srbench's model-directory fingerprint (see the module doc)."""
    h = hashlib.sha256()
    for rel, path in _files(dir_path):
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            h.update(rel.encode("utf-8", "surrogateescape") + b"\0" + str(size).encode() + b"\0")
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return "sha256:" + h.hexdigest()


@dataclass
class TorchModelDir:
    """A loaded torch model directory."""

    path: str
    manifest: Manifest
    model: CLIP
    vocab_path: str

    @property
    def heads(self) -> Tuple[int, int]:
        c = self.model.config
        return c.vision_heads, c.text_heads


def _heads(m: Manifest, name: str) -> Optional[int]:
    v = m.constants.get(name)
    if v is None:
        return None
    if v != int(v) or v <= 0:
        raise ValueError(f"srbench.yaml: constants.{name} = {v}: want a positive integer")
    return int(v)


def load(dir_path: str) -> TorchModelDir:
    """Loads a torch model directory (weights on the CPU, float32)."""
    path = os.path.abspath(dir_path)
    if not os.path.isdir(path):
        raise ValueError(f"model directory {path}: not a directory")
    m = read_manifest(path)
    weights = os.path.join(path, WEIGHTS)
    if not os.path.isfile(weights):
        raise ValueError(f"model directory {path}: no {WEIGHTS} (an OpenAI-format CLIP state dict)")
    tok_name = m.strings.get("tokenizer", VOCAB)
    vocab = os.path.join(path, tok_name)
    if not os.path.isfile(vocab):
        raise ValueError(f"model directory {path}: no tokenizer file {tok_name} (the OpenAI BPE vocabulary)")
    if m.strings.get("pipeline", "openai") != "openai":
        raise ValueError(f"{os.path.join(path, MANIFEST)}: strings.pipeline {m.strings['pipeline']!r}: this scorer implements only \"openai\"")
    sd = load_state_dict_file(weights)
    model = build_model(sd, _heads(m, "vision_heads"), _heads(m, "text_heads"))
    model.eval()
    return TorchModelDir(path=path, manifest=m, model=model, vocab_path=vocab)


def write_manifest(dir_path: str, model: CLIP, description: str, vocab_name: str = VOCAB) -> None:
    """Writes srbench.yaml for a directory holding model (kind socialreward,
    variant torch-blocks, the heads as constants, OpenAI tokenizer and
    pipeline). The same file serves the Go socialreward scorer, which reads
    kind and strings and ignores the rest."""
    c = model.config
    m = Manifest(
        kind=KIND,
        variant=VARIANT,
        constants={"vision_heads": c.vision_heads, "text_heads": c.text_heads},
        strings={"tokenizer": vocab_name, "pipeline": "openai"},
        description=description,
    )
    with open(os.path.join(dir_path, MANIFEST), "w", encoding="utf-8") as f:
        f.write(m.to_yaml())


def copy_file(src: str, dst: str) -> None:
    """Copies src to dst (replacing dst; nothing to do when they are the same file)."""
    if os.path.exists(dst) and os.path.samefile(src, dst):
        return
    if os.path.lexists(dst):
        os.remove(dst)
    shutil.copyfile(src, dst)
