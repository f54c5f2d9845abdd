"""The colorfulness scorer: Hasler & Süsstrunk's colourfulness metric of an image.

D. Hasler and S. Süsstrunk, "Measuring colourfulness in natural images",
Proc. SPIE 5007, Human Vision and Electronic Imaging VIII, 2003. Over every
pixel of the 8-bit RGB image (values 0..255),

    rg = R - G,   yb = (R + G) / 2 - B,
    M  = sqrt(σ_rg² + σ_yb²) + 0.3 · sqrt(μ_rg² + μ_yb²)

with μ the mean and σ the population standard deviation over the pixels.
Larger means more colourful; a gray image scores 0. The prompt is not used,
so the scorer measures no alignment: it is a baseline ("do people prefer
more colourful images?") and the worked example of a Python plugin.

The statistics are exact: rg and 2·yb are integers, so their sums and sums
of squares are accumulated in integers and the variances computed as exact
fractions, and a score does not depend on the batch an image came in, on
the strip size, or on the order of the pixels.

Images are decoded with Pillow and converted with ``convert("RGB")`` (an
alpha channel is ignored, a palette expanded, gray replicated to three
channels; EXIF orientation is irrelevant to M). An image that does not
decode, is larger than max_image_bytes (default 64 MiB) or has more than
MAX_PIXELS pixels is that item's error; the rest of the batch still scores.
"""

from __future__ import annotations

import io
import math
import os
import sys
import threading
from fractions import Fraction

import numpy as np
from PIL import Image, UnidentifiedImageError

import srbench_plugin as sp

NAME = "colorfulness"
VERSION = "1.0.0"

#: The largest image accepted, in pixels (as srbench's Go decoder, imageproc.DefaultMaxPixels).
#: It is checked from the header, before any pixel is decoded.
MAX_PIXELS = 50_000_000

# Pillow's own decompression-bomb check would warn (a warning in the host's
# log) between 89 and 179 megapixels; MAX_PIXELS refuses those images first.
Image.MAX_IMAGE_PIXELS = None

#: Rows converted to integers at once: bounds the working memory per image
#: to about 24 bytes a pixel of one strip.
STRIP_ROWS = 256

#: The decode budget when Config.decode_memory_bytes is 0 (as srbench's Go plugins).
DEFAULT_DECODE_MEMORY = 512 << 20

FORMULA = ("M = sqrt(σ_rg² + σ_yb²) + 0.3·sqrt(μ_rg² + μ_yb²) over the pixels of the 8-bit RGB image, "
           "rg = R−G, yb = (R+G)/2 − B, μ mean, σ population standard deviation "
           "(Hasler & Süsstrunk 2003); larger = more colourful, gray = 0; prompt-independent: the prompt is not used")


class _Budget:
    """Bounds the memory of images decoded at once across concurrent score() calls.

    An image costing more than the whole budget is decoded alone.
    """

    def __init__(self, total: int) -> None:
        self.total = total
        self._free = total
        self._cond = threading.Condition()

    def acquire(self, cost: int) -> int:
        """Wait until ``cost`` bytes (at most the whole budget) are free and take them."""
        cost = min(cost, self.total)
        with self._cond:
            while self._free < cost:
                self._cond.wait()
            self._free -= cost
        return cost

    def release(self, cost: int) -> None:
        """Give back what acquire took."""
        with self._cond:
            self._free += cost
            self._cond.notify_all()


class Moments:
    """Integer sums of rg = R−G and d = 2·yb = R+G−2B over pixels."""

    __slots__ = ("n", "rg", "rg2", "d", "d2")

    def __init__(self) -> None:
        self.n = self.rg = self.rg2 = self.d = self.d2 = 0

    def add(self, rgb: np.ndarray) -> None:
        """Accumulate an (h, w, 3) uint8 array."""
        px = rgb.reshape(-1, 3).astype(np.int64)
        rg = px[:, 0] - px[:, 1]
        d = px[:, 0] + px[:, 1] - 2 * px[:, 2]
        self.n += px.shape[0]
        self.rg += int(rg.sum())
        self.rg2 += int(np.dot(rg, rg))
        self.d += int(d.sum())
        self.d2 += int(np.dot(d, d))

    def colorfulness(self) -> float:
        """M of the accumulated pixels (0 for none)."""
        n = self.n
        if n == 0:
            return 0.0
        # σ² = E[x²] − E[x]², exactly; yb = d/2 so its moments carry 1/4.
        var = Fraction(n * self.rg2 - self.rg * self.rg, n * n) + Fraction(n * self.d2 - self.d * self.d, 4 * n * n)
        mean2 = Fraction(self.rg * self.rg, n * n) + Fraction(self.d * self.d, 4 * n * n)
        return math.sqrt(var) + 0.3 * math.sqrt(mean2)


def colorfulness_of(img: Image.Image) -> float:
    """Hasler & Süsstrunk's M of a Pillow image (converted to RGB strip by strip)."""
    if img.mode != "RGB":
        img = img.convert("RGB")
    m = Moments()
    w, h = img.size
    for y in range(0, h, STRIP_ROWS):
        m.add(np.asarray(img.crop((0, y, w, min(h, y + STRIP_ROWS)))))
    return m.colorfulness()


class ColorfulnessScorer:
    """The scorer object srbench_plugin.serve drives."""

    def __init__(self, cfg: sp.Config) -> None:
        cfg.check_options()
        if not os.path.isdir(cfg.model_dir):
            raise ValueError(f"model directory {cfg.model_dir!r} is not a directory "
                             "(colorfulness reads nothing from it, but srbench gives every scorer one)")
        self.cfg = cfg
        decode = cfg.decode_memory_bytes if cfg.decode_memory_bytes > 0 else DEFAULT_DECODE_MEMORY
        self._budget = _Budget(decode)

    def describe(self, req: sp.DescribeRequest) -> sp.Description:
        """Say what this scorer computes. It has no weights: the fingerprint is "none"."""
        import PIL

        limit = self.cfg.max_image_bytes if self.cfg.max_image_bytes != 0 else sp.DEFAULT_MAX_IMAGE_BYTES
        return sp.Description(
            name=NAME, version=VERSION, kind=NAME, variant="hasler-susstrunk-2003",
            fingerprint="none",
            preferred_batch_size=self.cfg.batch_size or 32,
            runtime=f"python {sys.version.split()[0]}, numpy {np.__version__}, Pillow {PIL.__version__}",
            provider="cpu",
            preprocessing="Pillow decode, convert('RGB') (alpha ignored), 8-bit values 0..255, no resize",
            tokenizer="none (the prompt is not used)",
            formula=FORMULA,
            model_dir=self.cfg.model_dir,
            details={"model_files": "none: the metric has no weights; the model directory is not read",
                     "max_image_bytes": str(limit), "max_pixels": str(MAX_PIXELS),
                     "reference": "D. Hasler, S. Süsstrunk, Measuring colourfulness in natural images, "
                                  "Proc. SPIE 5007, 2003"})

    def score(self, req: sp.ScoreRequest) -> sp.ScoreResponse:
        """Score each item; a failing item gets its error and the others still score."""
        return sp.ScoreResponse([self._score_one(it) for it in req.items])

    def _score_one(self, item: sp.Item) -> sp.Result:
        try:
            data = item.read_image(self.cfg.max_image_bytes)
        except (OSError, ValueError) as e:
            return sp.Result(error=f"read image: {e}")
        try:
            img = Image.open(io.BytesIO(data))
        except UnidentifiedImageError:
            # Pillow's own message names the BytesIO object; the bytes are never echoed.
            return sp.Result(error=f"decode image: {len(data)} bytes in no format Pillow reads")
        except (OSError, ValueError) as e:
            return sp.Result(error=f"decode image ({len(data)} bytes): {e}")
        with img:
            w, h = img.size
            if w * h > MAX_PIXELS:
                return sp.Result(error=f"image is {w}x{h} = {w * h} pixels, more than the limit of {MAX_PIXELS}")
            # Pillow keeps RGB in 4 bytes a pixel; one strip's integers are small beside it.
            cost = self._budget.acquire(4 * w * h + len(data))
            try:
                return sp.Result(score=colorfulness_of(img))
            except (OSError, ValueError, SyntaxError) as e:  # truncated or corrupt pixel data
                return sp.Result(error=f"decode image ({len(data)} bytes): {e}")
            finally:
                self._budget.release(cost)
