"""OpenAI's image transform against the golden tensors of shared/golden/images
(pipeline "openai", made with Pillow 9.4.0, libjpeg-turbo 2.1.5, libwebp 1.2.4).

Tolerance, after undoing the normalisation: the README's, ≤ 1/255 for lossless
files and ≤ 3/255 for JPEG and lossy WebP (decoders other than the reference's
may round differently). With the reference stack itself (Debian bookworm's
Pillow), the same code is the reference, so the tensors must be bit-identical.
"""

import json
import os
import unittest

import numpy as np
import PIL
from PIL import features

import helpers  # noqa: F401
from socialreward_torch.preprocess import MEAN, STD, ImageError, Preprocessor

REFERENCE_STACK = (PIL.__version__ == "9.4.0" and features.version("libjpeg_turbo") == "2.1.5"
                   and features.version("webp") == "1.2.4")


class PreprocessGoldenTest(unittest.TestCase):
    def test_openai_goldens(self) -> None:
        root = helpers.shared("golden/images")
        with open(os.path.join(root, "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        p = Preprocessor()
        mean = np.array(MEAN, np.float32)[:, None, None]
        std = np.array(STD, np.float32)[:, None, None]
        n = 0
        for im in manifest["images"]:
            with open(os.path.join(root, im["file"]), "rb") as f:
                x = p(f.read()).numpy()
            for t in im["tensors"]:
                if t["pipeline"] != "openai":
                    continue
                n += 1
                with self.subTest(file=im["file"], mode=im["mode"]):
                    want = np.fromfile(os.path.join(root, t["file"]), dtype="<f4").reshape(3, 224, 224)
                    self.assertEqual(x.shape, want.shape)
                    diff = float(np.abs((x * std + mean) - (want * std + mean)).max())
                    self.assertLessEqual(diff, (1 if im["lossless"] else 3) / 255)
                    if REFERENCE_STACK:
                        self.assertTrue(np.array_equal(x, want), f"max raw diff {np.abs(x - want).max()}")
        self.assertEqual(n, 14)

    def test_undecodable_and_budget(self) -> None:
        p = Preprocessor()
        with self.assertRaises(ImageError):
            p(b"not an image")
        with open(helpers.shared("golden/images/rocket.jpg"), "rb") as f:
            data = f.read()
        with self.assertRaisesRegex(ImageError, "cannot decode"):
            p(data[: len(data) // 2])  # truncated JPEG
        with self.assertRaisesRegex(ImageError, "pixel budget"):
            Preprocessor(max_pixels=1000)(data)


if __name__ == "__main__":
    unittest.main()
