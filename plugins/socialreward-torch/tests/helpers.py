"""Shared set-up of the socialreward-torch unit tests: import path, the
reference data in ../shared beside the checkout, a tiny random model and
synthetic triplets."""

from __future__ import annotations

import io
import os
import random
import sys
import tempfile
import unittest
from typing import List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGIN = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(PLUGIN))
SHARED = os.path.join(os.path.dirname(REPO), "shared")
sys.path.insert(0, PLUGIN)

import torch  # noqa: E402

# One thread: for models this small a second thread costs more than it
# saves, and the tests stay fast on a busy 2-core machine.
torch.set_num_threads(1)

from PIL import Image, ImageDraw  # noqa: E402

from socialreward_torch import export  # noqa: E402
from socialreward_torch.model import CLIP, RandomSpec, init_random  # noqa: E402
from socialreward_torch.trainer import Triplet  # noqa: E402

VOCAB = os.path.join(SHARED, "data", "clip", "bpe_simple_vocab_16e6.txt.gz")

#: The test-size model: the "tiny" preset of init-random.
TINY = RandomSpec(vocab_size=512)


def shared(rel: str) -> str:
    """A path in ../shared, failing the test run when it is missing."""
    p = os.path.join(SHARED, rel)
    if not os.path.exists(p):
        raise unittest.SkipTest(f"reference data {p} is missing (../shared beside the checkout)")
    return p


def tiny_model(seed: int = 1) -> CLIP:
    return init_random(TINY, seed).eval()


def tiny_model_dir(tmp: str, seed: int = 1, onnx: bool = False) -> str:
    """A torch model directory of a tiny random model in tmp/base."""
    d = os.path.join(tmp, "base")
    export.write_model_dir(tiny_model(seed), d, shared("data/clip/bpe_simple_vocab_16e6.txt.gz"), "test model", onnx=onnx)
    return d


COLOURS = {
    "red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220), "yellow": (230, 220, 30),
    "purple": (140, 30, 180), "orange": (240, 140, 20), "black": (10, 10, 10), "white": (245, 245, 245),
}


def png(colour: Tuple[int, int, int], rng: random.Random) -> bytes:
    """A 64×48 PNG of one colour with a few random squares."""
    im = Image.new("RGB", (64, 48), colour)
    d = ImageDraw.Draw(im)
    for _ in range(6):
        x, y = rng.randrange(64), rng.randrange(48)
        d.rectangle([x, y, x + 6, y + 6], fill=tuple(rng.randrange(256) for _ in range(3)))
    b = io.BytesIO()
    im.save(b, format="PNG")
    return b.getvalue()


def synthetic_triplets(n: int, seed: int = 0) -> List[Triplet]:
    """n triplets "a <colour> picture": the preferred image is mostly that
    colour, the other image another colour (something the text side can
    learn to tell apart)."""
    rng = random.Random(seed)
    names = list(COLOURS)
    out = []
    for i in range(n):
        c = names[i % len(names)]
        o = names[(i % len(names) + 1 + rng.randrange(len(names) - 1)) % len(names)]
        out.append(Triplet(id=f"t{i}", prompt=f"a {c} picture", preferred=png(COLOURS[c], rng), other=png(COLOURS[o], rng)))
    return out


class TempDirTest(unittest.TestCase):
    """A test case with self.tmp, removed afterwards."""

    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="srtorch-")
        self.tmp = self._tmp.name

    def tearDown(self) -> None:
        self._tmp.cleanup()
