"""Tests of the colorfulness scorer against values computed independently of it.

Run: /usr/bin/python3 -m unittest discover -s plugins/colorfulness
"""

from __future__ import annotations

import io
import math
import os
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "harness" / "scorer" / "python"))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import srbench_plugin as sp  # noqa: E402
from colorfulness import ColorfulnessScorer  # noqa: E402


def png(img: Image.Image) -> bytes:
    """The image encoded as PNG (lossless, so the pixels come back exactly)."""
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def reference(rgb: np.ndarray) -> float:
    """Hasler & Süsstrunk's M, straight from the paper's definition, in float64 (two passes)."""
    x = rgb.reshape(-1, 3).astype(np.float64)
    rg = x[:, 0] - x[:, 1]
    yb = 0.5 * (x[:, 0] + x[:, 1]) - x[:, 2]
    return math.sqrt(rg.std() ** 2 + yb.std() ** 2) + 0.3 * math.sqrt(rg.mean() ** 2 + yb.mean() ** 2)


class ColorfulnessTest(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp()
        self.addCleanup(os.rmdir, self.dir)
        self.scorer = ColorfulnessScorer(sp.Config(self.dir))

    def score(self, *images: bytes) -> list[sp.Result]:
        items = [sp.Item(id=str(i), prompt="ignored", image_bytes=b) for i, b in enumerate(images)]
        return self.scorer.score(sp.ScoreRequest(items)).results

    def test_gray_is_zero(self) -> None:
        for mode, value in (("RGB", (128, 128, 128)), ("L", 77), ("RGB", (0, 0, 0)), ("RGB", (255, 255, 255))):
            with self.subTest(mode=mode, value=value):
                r = self.score(png(Image.new(mode, (16, 9), value)))[0]
                self.assertEqual((r.score, r.error), (0.0, ""))

    def test_two_colours_by_hand(self) -> None:
        # Half the pixels pure red (255, 0, 0), half pure blue (0, 0, 255):
        #   red:  rg = 255, yb = 127.5 - 0   = 127.5
        #   blue: rg = 0,   yb = 0 - 255     = -255
        #   μ_rg = 127.5, σ_rg = 127.5 (each value is 127.5 from the mean)
        #   μ_yb = (127.5 - 255)/2 = -63.75, σ_yb = 191.25
        # With a = 63.75: σ_rg = 2a, σ_yb = 3a, |μ_rg| = 2a, |μ_yb| = a, so
        #   M = a·sqrt(4 + 9) + 0.3·a·sqrt(4 + 1) = 63.75·(sqrt(13) + 0.3·sqrt(5)) = 272.6187…
        img = Image.new("RGB", (8, 6), (255, 0, 0))
        img.paste((0, 0, 255), (0, 3, 8, 6))
        want = 63.75 * (math.sqrt(13) + 0.3 * math.sqrt(5))
        self.assertAlmostEqual(want, 272.61869, places=5)
        r = self.score(png(img))[0]
        self.assertEqual(r.error, "")
        self.assertAlmostEqual(r.score, want, delta=1e-9 * want)

    def test_random_images_match_the_definition(self) -> None:
        rng = np.random.default_rng(7)
        for shape in ((1, 1, 3), (5, 3, 3), (300, 17, 3), (600, 2, 3)):  # more rows than one strip too
            rgb = rng.integers(0, 256, size=shape, dtype=np.uint8)
            with self.subTest(shape=shape):
                r = self.score(png(Image.fromarray(rgb, "RGB")))[0]
                self.assertAlmostEqual(r.score, reference(rgb), delta=1e-9 * max(1.0, reference(rgb)))

    def test_alpha_is_ignored(self) -> None:
        rgba = Image.new("RGBA", (4, 4), (200, 10, 10, 0))
        rgba.paste((10, 10, 200, 255), (0, 0, 4, 2))
        rgb = Image.new("RGB", (4, 4), (200, 10, 10))
        rgb.paste((10, 10, 200), (0, 0, 4, 2))
        a, b = self.score(png(rgba), png(rgb))
        self.assertEqual(a.score, b.score)
        self.assertGreater(a.score, 0)

    def test_undecodable_is_an_item_error(self) -> None:
        good = png(Image.new("RGB", (4, 4), (255, 0, 0)))
        truncated = good[: len(good) // 2]
        res = self.score(b"this is not an image at all", good, truncated, b"")
        self.assertIn("decode image", res[0].error)
        self.assertEqual(res[1].error, "")
        self.assertAlmostEqual(res[1].score, 0.3 * math.hypot(255, 127.5), delta=1e-9)
        self.assertIn("decode image", res[2].error)
        self.assertNotEqual(res[3].error, "")

    def test_size_limits(self) -> None:
        data = png(Image.new("RGB", (4, 4), (255, 0, 0)))
        small = ColorfulnessScorer(sp.Config(self.dir, max_image_bytes=len(data) - 1))
        r = small.score(sp.ScoreRequest([sp.Item("a", "p", image_bytes=data)])).results[0]
        self.assertIn("more than the limit", r.error)
        f = os.path.join(self.dir, "img.png")
        with open(f, "wb") as fh:
            fh.write(data)
        self.addCleanup(os.remove, f)
        r = small.score(sp.ScoreRequest([sp.Item("a", "p", image_path=f)])).results[0]
        self.assertIn("more than the limit", r.error)
        ok = self.scorer.score(sp.ScoreRequest([sp.Item("a", "p", image_path=f),
                                                sp.Item("b", "p", image_path=f + ".missing")])).results
        self.assertEqual((ok[0].error, ok[0].score), ("", self.score(data)[0].score))
        self.assertIn("No such file", ok[1].error)

    def test_batch_composition_does_not_matter(self) -> None:
        rng = np.random.default_rng(11)
        imgs = [png(Image.fromarray(rng.integers(0, 256, size=(9, 7, 3), dtype=np.uint8), "RGB")) for _ in range(6)]
        alone = [self.score(b)[0].score for b in imgs]
        together = [r.score for r in self.score(*imgs)]
        order = [5, 2, 0, 4, 1, 3]
        shuffled = [r.score for r in self.score(*[imgs[i] for i in order], b"junk")]
        self.assertEqual(alone, together)
        self.assertEqual([alone[i] for i in order], shuffled[:-1])

    def test_prompt_is_ignored(self) -> None:
        data = png(Image.new("RGB", (3, 3), (10, 200, 30)))
        a = self.scorer.score(sp.ScoreRequest([sp.Item("1", "a red car", image_bytes=data),
                                               sp.Item("2", "", image_bytes=data)])).results
        self.assertEqual(a[0].score, a[1].score)

    def test_describe_and_options(self) -> None:
        d = self.scorer.describe(sp.DescribeRequest())
        self.assertEqual((d.name, d.kind, d.fingerprint, d.model_dir), ("colorfulness", "colorfulness", "none", self.dir))
        self.assertIn("prompt-independent", d.formula)
        with self.assertRaisesRegex(ValueError, "unknown option"):
            ColorfulnessScorer(sp.Config(self.dir, options={"variant": "x"}))
        with self.assertRaisesRegex(ValueError, "not a directory"):
            ColorfulnessScorer(sp.Config(os.path.join(self.dir, "missing")))


if __name__ == "__main__":
    unittest.main()
