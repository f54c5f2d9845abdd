#!/usr/bin/python3
"""Reference difference hashes for harness/curate DHash.

Run with /usr/bin/python3 (numpy 1.24, Pillow 9.4.0 with libjpeg-turbo 2.1.5 and libwebp
1.2.4, the Debian bookworm packages) from this directory:
    /usr/bin/python3 make_fixtures.py
It writes the fixture images (PNG; JPEG baseline 4:2:0, 4:2:2, 4:4:4, progressive 4:2:0
and grayscale; lossy WebP; GIF) and expected.json: for each file the 64-bit dHash as 16
hex digits, computed with Pillow only (Image.open decodes):
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

# Lossy and palette formats, where the decoder matters: a hash is only Pillow's if the
# pixels are. Their own generator, so the images above keep their numbers.
rng2 = np.random.default_rng(20270116)


def photo(w, h, contrast=1.0):
    """Smooth gradients, a disc and mild noise: JPEG-like content."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    base = np.stack([128 + 60 * np.sin(x / 9.0) * np.cos(y / 13.0),
                     110 + 50 * np.cos((x + y) / 11.0),
                     140 + 40 * np.sin(x / 5.0 + y / 7.0)], axis=-1)
    disc = (x - 0.4 * w) ** 2 + (y - 0.6 * h) ** 2 < (0.2 * min(w, h)) ** 2
    base[disc] = [220, 60, 40]
    a = 128 + contrast * (base - 128) + rng2.normal(0, 4, (h, w, 3))
    return np.clip(np.round(a), 0, 255).astype(np.uint8)


def save_as(name, arr, mode, **opts):
    Image.fromarray(arr, mode).save(name, **opts)
    files[name] = None


# JPEG baseline 4:2:0 (Pillow's default subsampling; said here), and the same pixels
# progressive 4:2:0.
p96 = photo(96, 72)
save_as("photo96x72_420.jpg", p96, "RGB", quality=75, subsampling=2)
save_as("photo96x72_420_progressive.jpg", p96, "RGB", quality=90, subsampling=2, progressive=True)
# Odd size (partial MCUs, chroma edge upsampling), baseline 4:2:0.
save_as("photo37x23_420.jpg", photo(37, 23), "RGB", quality=60, subsampling=2)
# Odd size, progressive 4:2:0 with optimised Huffman tables.
save_as("photo53x41_420_progressive.jpg", photo(53, 41), "RGB", quality=80, subsampling=2, progressive=True, optimize=True)
# Low contrast: neighbouring cells nearly equal, so a level or two of decoder error
# flips bits. Baseline and progressive 4:2:0.
flat = photo(80, 64, contrast=0.04)
save_as("flat80x64_420.jpg", flat, "RGB", quality=92, subsampling=2)
save_as("flat80x64_420_progressive.jpg", flat, "RGB", quality=92, subsampling=2, progressive=True)
# 4:2:2 and 4:4:4 baseline, and a grayscale JPEG (mode L).
p64 = photo(64, 48, contrast=0.3)
save_as("photo64x48_422.jpg", p64, "RGB", quality=85, subsampling=1)
save_as("photo64x48_444.jpg", p64, "RGB", quality=85, subsampling=0)
save_as("gray48x40.jpg", photo(48, 40, contrast=0.1)[:, :, 1], "L", quality=80)
# Lossy WebP (YUV 4:2:0) and a GIF (palette, mode P).
save_as("photo64x48.webp", photo(64, 48, contrast=0.1), "RGB", quality=80)
save_as("photo40x30.gif", photo(40, 30), "RGB")

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
