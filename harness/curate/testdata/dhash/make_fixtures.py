#!/usr/bin/python3
"""Reference difference hashes for harness/curate DHash.

Run with /usr/bin/python3 (numpy, Pillow 9.4.0) from this directory:
    /usr/bin/python3 make_fixtures.py
It writes the fixture images (PNG) and expected.json: for each file the 64-bit dHash as
16 hex digits, computed with Pillow only:
    im.convert("L").convert("F").resize((9, 8), Image.BOX)
then bit (row-major, first comparison most significant) = cell[r][c+1] > cell[r][c].
"""
import json

import numpy as np
from PIL import Image

rng = np.random.default_rng(20240601)
files = {}


def save(name, arr, mode):
    Image.fromarray(arr, mode).save(name)
    files[name] = None


# Uniform noise, RGB, 64x64 (downscale by 64/9 and 64/8).
save("noise64.png", rng.integers(0, 256, (64, 64, 3), dtype=np.uint8), "RGB")
# Smooth gradients with a disc, RGB, 96x96.
y, x = np.mgrid[0:96, 0:96]
g = np.stack([(x * 2.5) % 256, (y * 2.0) % 256, ((x + y) * 1.3) % 256], axis=-1)
g[(x - 40) ** 2 + (y - 55) ** 2 < 300] = [250, 30, 30]
save("gradient96.png", g.astype(np.uint8), "RGB")
# Odd size, noise, RGB, 37x23 (width 37, height 23).
save("noise37x23.png", rng.integers(0, 256, (23, 37, 3), dtype=np.uint8), "RGB")
# Smaller than the grid: 5x4 (upscaling takes the nearest pixel).
save("tiny5x4.png", rng.integers(0, 256, (4, 5, 3), dtype=np.uint8), "RGB")
# RGBA with varying alpha (Pillow's RGBA->L ignores alpha).
rgba = rng.integers(0, 256, (40, 50, 4), dtype=np.uint8)
save("rgba50x40.png", rgba, "RGBA")
# Grayscale, coarse blocks, 64x64.
blocks = np.kron(rng.integers(0, 256, (8, 8), dtype=np.uint8), np.ones((8, 8), dtype=np.uint8))
save("gray64.png", blocks, "L")

for name in files:
    f = Image.open(name).convert("L").convert("F").resize((9, 8), Image.BOX)
    a = np.asarray(f)
    bits = (a[:, 1:] > a[:, :-1]).flatten()
    h = 0
    for b in bits:
        h = (h << 1) | int(b)
    files[name] = "%016x" % h

with open("expected.json", "w") as out:
    json.dump(files, out, indent=1, sort_keys=True)
    out.write("\n")
print(json.dumps(files, indent=1, sort_keys=True))
