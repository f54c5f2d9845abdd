#!/usr/bin/python3
"""Regenerate the Pillow reference fixtures for harness/imageproc's resize,
convert and pipeline tests.

Run with the Debian bookworm interpreter that has Pillow 9.4.0 and numpy:

    cd harness/imageproc && /usr/bin/python3 testdata/make_resize_fixtures.py

The source images are synthetic and made from integer formulas that the Go
tests (fixtures_test.go, synthImage) evaluate again, so no source pixels are
stored: only Pillow's outputs. Everything is written to testdata/resize/:

  fixtures.bin.gz  gzip of the concatenated raw outputs (PIL tobytes(): bytes
                   per pixel as in Go's Image.Pix; mode I is int32 LE; mode F
                   and pipeline tensors are float32 LE, CHW for tensors)
  fixtures.json    index, one entry per line: kind, mode, filter, sizes,
                   byte offset and length in the uncompressed blob
"""
import gzip
import json
import os
import sys

import numpy as np
import PIL
from PIL import Image

assert PIL.__version__ == "9.4.0", PIL.__version__
assert sys.byteorder == "little"

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "resize")

# --- synthetic sources (keep in sync with synthImage in fixtures_test.go) ---


def v8(x, y, c):
    """An 8-bit value with fine texture, hard edges and extremes."""
    v = (x * x * 3 + y * y * 5 + x * y * 7 + c * 71 + ((x ^ y) & 7) * 29) & 255
    if ((x // 4) + (y // 3)) % 2 == 0:
        v = 255 - v
    if (x + y * 3) % 11 == 0:
        v = 0 if c % 2 == 0 else 255
    return v


def alpha(x, y):
    if (x + 2 * y) % 7 == 0:
        return 0
    if (3 * x + y) % 5 == 0:
        return 255
    return (x * 31 + y * 17) & 255


def palette_entry(i):
    return ((i * 67) & 255, (i * 151 + 13) & 255, (i * 29 + 200) & 255)


def index(x, y):
    return (x * 13 + y * 7 + x * y) & 255


def ival(x, y):
    return (x * 977 + y * 1321 + x * y * 13) % 70000 - 500


def synth(mode, w, h, palette_len=256):
    if mode == "I":
        a = np.array([[ival(x, y) for x in range(w)] for y in range(h)], dtype=np.int32)
        return Image.frombytes("I", (w, h), a.tobytes())
    if mode == "P":
        a = np.array([[index(x, y) for x in range(w)] for y in range(h)], dtype=np.uint8)
        im = Image.frombytes("P", (w, h), a.tobytes())
        im.putpalette(bytes(v for i in range(palette_len) for v in palette_entry(i)))
        return im
    n = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "CMYK": 4}[mode]
    a = np.zeros((h, w, n), dtype=np.uint8)
    for y in range(h):
        for x in range(w):
            for c in range(n):
                a[y, x, c] = v8(x, y, c)
            if mode in ("LA", "RGBA"):
                a[y, x, n - 1] = alpha(x, y)
    return Image.frombytes(mode, (w, h), a.tobytes())


FILTERS = {
    "nearest": Image.Resampling.NEAREST,
    "lanczos": Image.Resampling.LANCZOS,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "box": Image.Resampling.BOX,
    "hamming": Image.Resampling.HAMMING,
}

SRC = (37, 23)
SIZES = [(16, 11), (50, 31), (37, 9), (13, 23), (5, 3), (1, 1), (101, 7), (37, 23), (12, 8)]

entries = []
blob = bytearray()


def add(entry, data):
    entry["offset"] = len(blob)
    entry["length"] = len(data)
    blob.extend(data)
    entries.append(entry)


# 1. Image.resize in every mode with BICUBIC (P is resized with NEAREST by Pillow).
for mode in ["L", "LA", "RGB", "RGBA", "P", "I", "CMYK"]:
    src = synth(mode, *SRC)
    for size in SIZES:
        out = src.resize(size, Image.Resampling.BICUBIC)
        assert out.mode == mode
        add({"kind": "resize", "mode": mode, "filter": "bicubic", "src": list(SRC), "dst": list(size)},
            out.tobytes())

# 2. The other filters on RGB, L and I, and NEAREST on RGBA (no premultiplication).
for mode, fname in [("RGB", f) for f in FILTERS if f != "bicubic"] + [("L", "lanczos"), ("I", "bilinear"), ("RGBA", "nearest"), ("LA", "bilinear")]:
    src = synth(mode, *SRC)
    for size in [(16, 11), (50, 31), (5, 3), (101, 7)]:
        out = src.resize(size, FILTERS[fname])
        add({"kind": "resize", "mode": mode, "filter": fname, "src": list(SRC), "dst": list(size)},
            out.tobytes())

# 2b. NEAREST where Pillow's accumulated source position (x0 + a/2 + a + a ...)
#     truncates differently from int((x+0.5)*a): 40x28 sources.
for mode, fname in [("P", "bicubic"), ("RGB", "nearest"), ("I", "nearest"), ("LA", "nearest")]:
    src = synth(mode, 40, 28)
    for size in [(30, 21), (35, 26), (15, 10)]:
        out = src.resize(size, FILTERS[fname])
        add({"kind": "resize", "mode": mode, "filter": fname, "src": [40, 28], "dst": list(size)},
            out.tobytes())

# 3. convert('RGB') from every mode, and from P with a 16-entry palette.
for mode, plen in [("L", 256), ("LA", 256), ("RGB", 256), ("RGBA", 256), ("P", 256), ("P", 16), ("I", 256), ("CMYK", 256)]:
    src = synth(mode, *SRC, palette_len=plen)
    add({"kind": "convert", "mode": mode, "palette_len": plen, "src": list(SRC), "dst": list(SRC)},
        src.convert("RGB").tobytes())

# 4. The two pipelines at a small size N, for modes the golden images lack,
#    written out step by step with PIL doing resize, crop and convert.
MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


def resized_size(w, h, n):
    if w <= h:
        return n, int(n * h / w)
    return int(n * w / h), n


def openai(im, n):
    w, h = resized_size(*im.size, n)
    im = im.resize((w, h), Image.Resampling.BICUBIC)
    top = int(round((h - n) / 2.0))
    left = int(round((w - n) / 2.0))
    im = im.crop((left, top, left + n, top + n)).convert("RGB")
    x = np.asarray(im, dtype=np.uint8).astype(np.float32) / np.float32(255)
    x = (x - MEAN) / STD
    return np.ascontiguousarray(x.transpose(2, 0, 1), dtype=np.float32), (left, top)


def hf(im, n):
    if im.mode != "RGB":
        im = im.convert("RGB")
    w, h = resized_size(*im.size, n)
    im = im.resize((w, h), Image.Resampling.BICUBIC)
    top = (h - n) // 2
    left = (w - n) // 2
    x = np.asarray(im, dtype=np.uint8)[top:top + n, left:left + n]
    x = (x.astype(np.float64) * (1 / 255)).astype(np.float32)
    x = (x - MEAN) / STD
    return np.ascontiguousarray(x.transpose(2, 0, 1), dtype=np.float32), (left, top)


N = 12
for mode in ["L", "LA", "RGB", "RGBA", "P", "I", "CMYK"]:
    for size in [(25, 19), (19, 25), (7, 5)]:
        src = synth(mode, *size)
        for name, fn in [("openai", openai), ("hf", hf)]:
            t, (left, top) = fn(src, N)
            assert t.dtype == np.float32 and t.shape == (3, N, N)
            add({"kind": "pipeline", "pipeline": name, "n": N, "mode": mode, "src": list(size),
                 "crop_left_top": [left, top]}, t.astype("<f4").tobytes())

# 5. Crops larger than the resized image (zero padding), and exact resizes.
#    torchvision CenterCrop pads left/top by (crop-size)//2 with 0 in the
#    image's own mode (palette index 0 for P), then crops at
#    round((size-crop)/2); transformers' center_crop pads the RGB array with
#    zeros so that the image starts at ceil((crop-size)/2).


def openai_padded(im, n, cw, ch):
    w, h = resized_size(*im.size, n)
    im = im.resize((w, h), Image.Resampling.BICUBIC)
    if cw > w or ch > h:
        pl = (cw - w) // 2 if cw > w else 0
        pt = (ch - h) // 2 if ch > h else 0
        pr = (cw - w + 1) // 2 if cw > w else 0
        pb = (ch - h + 1) // 2 if ch > h else 0
        a = np.asarray(im)
        pad = [(pt, pb), (pl, pr)] + [(0, 0)] * (a.ndim - 2)
        padded = Image.fromarray(np.pad(a, pad, mode="constant", constant_values=0), mode=im.mode)
        if im.mode == "P":
            padded.putpalette(im.getpalette())
        im = padded
        w, h = im.size
    top = int(round((h - ch) / 2.0))
    left = int(round((w - cw) / 2.0))
    im = im.crop((left, top, left + cw, top + ch)).convert("RGB")
    x = np.asarray(im, dtype=np.uint8).astype(np.float32) / np.float32(255)
    x = (x - MEAN) / STD
    return np.ascontiguousarray(x.transpose(2, 0, 1), dtype=np.float32)


def hf_general(im, size, crop, rescale=1 / 255):
    """size: ("shortest_edge", n) or ("hw", h, w); crop: None or (h, w)."""
    if im.mode != "RGB":
        im = im.convert("RGB")
    if size[0] == "shortest_edge":
        w, h = resized_size(*im.size, size[1])
    else:
        h, w = size[1], size[2]
    a = np.asarray(im.resize((w, h), Image.Resampling.BICUBIC))
    if crop is not None:
        ch, cw = crop
        top, left = (h - ch) // 2, (w - cw) // 2
        if top >= 0 and left >= 0 and top + ch <= h and left + cw <= w:
            a = a[top:top + ch, left:left + cw]
        else:
            nh, nw = max(ch, h), max(cw, w)
            b = np.zeros((nh, nw, 3), dtype=a.dtype)
            tp = int(np.ceil((nh - h) / 2))
            lp = int(np.ceil((nw - w) / 2))
            b[tp:tp + h, lp:lp + w] = a
            top += tp
            left += lp
            a = b[max(top, 0):max(top, 0) + ch, max(left, 0):max(left, 0) + cw]
    x = (a.astype(np.float64) * rescale).astype(np.float32)
    x = (x - MEAN) / STD
    return np.ascontiguousarray(x.transpose(2, 0, 1), dtype=np.float32)


for mode in ["RGB", "P"]:
    src = synth(mode, 25, 19)
    # resize shortest edge 10 (-> 13x10), crop 15 wide x 13 tall: padded on both axes
    add({"kind": "pipeline_custom", "pipeline": "openai", "mode": mode, "src": [25, 19],
         "shortest_edge": 10, "crop": [15, 13]}, openai_padded(src, 10, 15, 13).astype("<f4").tobytes())
    add({"kind": "pipeline_custom", "pipeline": "hf", "mode": mode, "src": [25, 19],
         "shortest_edge": 10, "crop": [15, 13]},
        hf_general(src, ("shortest_edge", 10), (13, 15)).astype("<f4").tobytes())
    # exact resize to 9 wide x 14 tall, no crop, rescale 1/127.5
    add({"kind": "pipeline_custom", "pipeline": "hf", "mode": mode, "src": [25, 19],
         "resize": [9, 14], "rescale": 1 / 127.5},
        hf_general(src, ("hw", 14, 9), None, rescale=1 / 127.5).astype("<f4").tobytes())

# 6. convert('L') from every mode (Convert.c: L24 luma for RGB/RGBA/P, CMYK
#    through RGB, LA's gray channel, I clipped), and from P with 16 entries.
for mode, plen in [("L", 256), ("LA", 256), ("RGB", 256), ("RGBA", 256), ("P", 256), ("P", 16), ("I", 256), ("CMYK", 256)]:
    src = synth(mode, *SRC, palette_len=plen)
    add({"kind": "convert_l", "mode": mode, "palette_len": plen, "src": list(SRC), "dst": list(SRC)},
        src.convert("L").tobytes())

# 7. Mode F resize (float32 LE samples): im.convert("F") of an L source (what
#    a difference hash resizes) and of an I source, with every filter, down to
#    the 9x8 dHash grid and to other sizes.
for mode in ["L", "I"]:
    src = synth(mode, *SRC).convert("F")
    for fname in FILTERS:
        for size in [(9, 8), (16, 11), (50, 31), (37, 9), (5, 23)]:
            out = src.resize(size, FILTERS[fname])
            assert out.mode == "F"
            add({"kind": "resize_f", "mode": mode, "filter": fname, "src": list(SRC), "dst": list(size)},
                np.asarray(out, dtype="<f4").tobytes())

os.makedirs(OUT, exist_ok=True)
with gzip.GzipFile(os.path.join(OUT, "fixtures.bin.gz"), "wb", mtime=0) as f:
    f.write(bytes(blob))
with open(os.path.join(OUT, "fixtures.json"), "w") as f:
    f.write('{"pillow": %s, "numpy": %s, "entries": [\n' % (json.dumps(PIL.__version__), json.dumps(np.__version__)))
    f.write(",\n".join(json.dumps(e, sort_keys=True) for e in entries))
    f.write("\n]}\n")
print(f"{len(entries)} fixtures, {len(blob)} bytes")
