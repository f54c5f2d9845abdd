#!/usr/bin/python3
"""Reference fixtures for the decoders in harness/imageproc (decode*.go).

Run with Debian bookworm's /usr/bin/python3 (Pillow 9.4.0, libjpeg-turbo
2.1.5, libwebp 1.2.4, the reference stack of /work/shared/golden) and with
cjpeg from libjpeg-turbo-progs 2.1.5 on PATH:

    cd harness/imageproc/testdata && /usr/bin/python3 make_decode_fixtures.py

It writes testdata/decode/:
  - small input files: crops of the golden images saved by Pillow or cjpeg,
    and PNG/GIF/WebP files assembled byte by byte here to reach cases Pillow
    cannot write (16-bit RGB, 2-bit gray, Adam7, GIF sub-frames, raw ALPH
    chunks with each filter, ...);
  - expected.json: for every input what Image.open(f) gives in PIL - mode,
    size, EXIF orientation, JPEG progressive flag and sampling factors (from
    PIL's own marker parser), sha256 of im.tobytes() - or the error PIL
    raises; mode "1" is recorded as mode "L" with the bytes of
    im.convert("L"), the documented mapping of the Go decoder;
  - NAME.pil.gz: gzip of im.tobytes() (the reference pixels);
  - bench_640x480.jpg, the input of BenchmarkDecodeJPEG640x480;
  - golden.json and golden_rows/NAME.rows.gz: for every golden image, sha256
    of PIL's tobytes() and, for JPEG and lossy WebP, every 8th row of it plus
    the last row (to measure a difference if the hash ever mismatches).
Nothing here is produced by the Go code under test.
"""
import gzip
import hashlib
import io
import json
import os
import struct
import subprocess
import zlib

import numpy as np
import PIL
from PIL import Image, features

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "golden", "images")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "decode")

assert PIL.__version__ == "9.4.0", PIL.__version__
assert features.version("webp") == "1.2.4"


def gz(data):
    b = io.BytesIO()
    with gzip.GzipFile(fileobj=b, mode="wb", mtime=0, compresslevel=9) as f:
        f.write(data)
    return b.getvalue()


def golden(name):
    return Image.open(os.path.join(GOLDEN, name))


# --------------------------------------------------------------------------
# Byte-level writers


def png_chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)


def png_file(w, h, depth, ctype, rows, extra=b"", interlace=0):
    """rows: list of raw scanline byte strings (filter byte 0 is added)."""
    raw = b"".join(b"\x00" + r for r in rows)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, interlace)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra +
            png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def pack_bits(values, depth):
    """Pack a row of samples of the given bit depth (1, 2, 4, 8, 16), MSB first."""
    if depth == 16:
        return b"".join(struct.pack(">H", v) for v in values)
    if depth == 8:
        return bytes(values)
    per = 8 // depth
    out = bytearray()
    for i in range(0, len(values), per):
        byte = 0
        chunk = values[i:i + per]
        for j, v in enumerate(chunk):
            byte |= v << (8 - depth * (j + 1))
        out.append(byte)
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def adam7_rows(pixels, bpp):
    """pixels: HxWxC uint8 array; returns the scanlines of the 7 passes."""
    h, w = pixels.shape[:2]
    rows = []
    for x0, y0, dx, dy in ADAM7:
        for y in range(y0, h, dy):
            sub = pixels[y, x0::dx]
            if sub.shape[0]:
                rows.append(sub.tobytes())
    return rows


def tiff_orientation(value, big_endian=False):
    bo = ">" if big_endian else "<"
    head = (b"MM" if big_endian else b"II") + struct.pack(bo + "HI", 42, 8)
    ifd = struct.pack(bo + "H", 1) + struct.pack(bo + "HHI", 0x0112, 3, 1) + struct.pack(bo + "HH", value, 0) + struct.pack(bo + "I", 0)
    return head + ifd


def gif_lzw(indices, min_size):
    """LZW data that only uses literal codes, with a clear code before the
    code table could grow past the initial width (valid for every decoder)."""
    clear, eoi = 1 << min_size, (1 << min_size) + 1
    width = min_size + 1
    per_clear = max(1, (1 << width) - eoi - 2)
    out, acc, nbits = bytearray(), 0, 0

    def emit(code):
        nonlocal acc, nbits
        acc |= code << nbits
        nbits += width
        while nbits >= 8:
            out.append(acc & 255)
            acc >>= 8
            nbits -= 8

    n = 0
    for p in indices:
        if n % per_clear == 0:
            emit(clear)
        emit(p)
        n += 1
    emit(eoi)
    if nbits:
        out.append(acc & 255)
    blocks = bytearray([min_size])
    for i in range(0, len(out), 255):
        part = out[i:i + 255]
        blocks += bytes([len(part)]) + part
    blocks += b"\x00"
    return bytes(blocks)


def gif_table(colors, bits):
    t = b"".join(bytes(c) for c in colors)
    return t + b"\x00" * (3 * (1 << bits) - len(t))


def gif_file(sw, sh, frame, global_colors=None, gbits=0, local_colors=None, lbits=0,
             transparency=None, interlace=False, min_size=8):
    """frame: (x0, y0, w, h, list of indices in transmission order)."""
    x0, y0, fw, fh, idx = frame
    flags = 0
    out = b"GIF89a" + struct.pack("<HH", sw, sh)
    if global_colors is not None:
        flags = 0x80 | (gbits - 1)
    out += bytes([flags, 0, 0])
    if global_colors is not None:
        out += gif_table(global_colors, gbits)
    if transparency is not None:
        out += b"!\xf9\x04" + bytes([1, 0, 0, transparency, 0])
    iflags = 0
    if local_colors is not None:
        iflags |= 0x80 | (lbits - 1)
    if interlace:
        iflags |= 0x40
    out += b"," + struct.pack("<HHHH", x0, y0, fw, fh) + bytes([iflags])
    if local_colors is not None:
        out += gif_table(local_colors, lbits)
    out += gif_lzw(idx, min_size) + b";"
    return out


def interlace_order(rows):
    order = []
    for start, step in ((0, 8), (4, 8), (2, 4), (1, 2)):
        order += list(range(start, len(rows), step))
    return [rows[i] for i in order]


def riff(chunks):
    body = b"WEBP"
    for tag, data in chunks:
        body += tag + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) & 1 else b"")
    return b"RIFF" + struct.pack("<I", len(body)) + body


def webp_chunks(data):
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    pos, out = 12, []
    while pos + 8 <= len(data):
        tag = data[pos:pos + 4]
        n = struct.unpack("<I", data[pos + 4:pos + 8])[0]
        out.append((tag, data[pos + 8:pos + 8 + n]))
        pos += 8 + n + (n & 1)
    return out


def vp8x(flags, w, h):
    return bytes([flags, 0, 0, 0]) + struct.pack("<I", w - 1)[:3] + struct.pack("<I", h - 1)[:3]


def alpha_filter(a, method):
    """Forward WebP alpha filtering (container spec): residuals mod 256."""
    a = a.astype(np.int32)
    h, w = a.shape
    pred = np.zeros_like(a)
    for y in range(h):
        for x in range(w):
            if y == 0 and x == 0:
                p = 0
            elif y == 0:
                p = a[0, x - 1]
            elif x == 0:
                p = a[y - 1, 0]
            elif method == 1:
                p = a[y, x - 1]
            elif method == 2:
                p = a[y - 1, x]
            else:
                p = min(255, max(0, a[y, x - 1] + a[y - 1, x] - a[y - 1, x - 1]))
            pred[y, x] = p
    return ((a - pred) % 256).astype(np.uint8)


def jpeg_segments(data):
    """Split a JPEG into (marker, bytes) up to SOS; rest is kept whole."""
    assert data[:2] == b"\xff\xd8"
    pos, segs = 2, []
    while True:
        assert data[pos] == 0xFF
        m = data[pos + 1]
        n = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if m == 0xDA:
            segs.append((m, data[pos:]))
            return segs
        segs.append((m, data[pos:pos + 2 + n]))
        pos += 2 + n


def cjpeg(img, *args):
    ppm = io.BytesIO()
    img.save(ppm, "PPM")
    return subprocess.run(["cjpeg", *args], input=ppm.getvalue(), stdout=subprocess.PIPE, check=True).stdout


# --------------------------------------------------------------------------
# The fixtures


def photo(w, h, name="coffee.png", box=(180, 90)):
    im = golden(name).convert("RGB")
    return im.crop((box[0], box[1], box[0] + w, box[1] + h))


def jpg(img, **kw):
    b = io.BytesIO()
    img.save(b, "JPEG", **kw)
    return b.getvalue()


def webp(img, **kw):
    b = io.BytesIO()
    img.save(b, "WEBP", **kw)
    return b.getvalue()


def pngb(img, **kw):
    b = io.BytesIO()
    img.save(b, "PNG", **kw)
    return b.getvalue()


def gifb(img, **kw):
    b = io.BytesIO()
    img.save(b, "GIF", **kw)
    return b.getvalue()


def make_inputs():
    f = {}
    astro = photo(96, 64, "astronaut.png", (200, 300))
    coffee = photo(96, 64)

    # JPEG
    f["j420_33x17.jpg"] = jpg(photo(33, 17, "astronaut.png", (250, 330)), quality=90, subsampling=2)
    f["j420_2x3.jpg"] = jpg(photo(2, 3, "astronaut.png", (250, 330)), quality=90, subsampling=2)   # chroma 1 wide: box
    f["j420_4x4.jpg"] = jpg(photo(4, 4, "astronaut.png", (250, 330)), quality=90, subsampling=2)   # chroma 2 wide: box
    f["j420_5x5.jpg"] = jpg(photo(5, 5, "astronaut.png", (250, 330)), quality=90, subsampling=2)   # chroma 3 wide: fancy
    f["j422.jpg"] = jpg(astro, quality=85, subsampling=1)
    f["j422_odd.jpg"] = jpg(photo(45, 29, "chelsea.png", (100, 100)), quality=85, subsampling=1)
    f["j444_q75.jpg"] = jpg(coffee, quality=75, subsampling=0)
    f["gray.jpg"] = jpg(photo(61, 43).convert("L"), quality=85)
    f["gray_prog.jpg"] = jpg(photo(61, 43, "chelsea.png", (150, 80)).convert("L"), quality=85, progressive=True)
    f["prog420.jpg"] = jpg(photo(57, 41, "astronaut.png", (180, 280)), quality=80, progressive=True, subsampling=2)
    f["prog444.jpg"] = jpg(photo(40, 24, "chelsea.png", (200, 120)), quality=80, progressive=True, subsampling=0)
    exif = Image.Exif()
    exif[0x0112] = 6
    f["exif_orient6.jpg"] = jpg(photo(24, 16), quality=90, exif=exif.tobytes())
    cmyk = jpg(photo(37, 21, "chelsea.png", (120, 60)).convert("CMYK"), quality=90)
    f["cmyk.jpg"] = cmyk
    segs = jpeg_segments(cmyk)
    adobe = [s for m, s in segs if m == 0xEE]
    assert adobe and adobe[0][4:9] == b"Adobe" and adobe[0][15] == 0, "Pillow CMYK JPEG has an Adobe marker, transform 0"
    f["cmyk_noadobe.jpg"] = b"\xff\xd8" + b"".join(s for m, s in segs if m != 0xEE)
    # The same entropy data read as YCCK: Adobe transform 2.
    f["ycck.jpg"] = b"\xff\xd8" + b"".join((s[:15] + b"\x02" + s[16:]) if m == 0xEE else s for m, s in segs)
    # Motion-JPEG style: no DHT segments, libjpeg-turbo falls back to the
    # standard tables (which Pillow used to write it).
    segs = jpeg_segments(jpg(photo(30, 20, "chelsea.png", (200, 150)), quality=85))
    f["no_dht.jpg"] = b"\xff\xd8" + b"".join(s for m, s in segs if m != 0xC4)
    # cjpeg: sampling factors Pillow cannot request, RGB colour space,
    # restart intervals (also in progressive non-interleaved scans).
    src = photo(50, 34, "astronaut.png", (210, 290))
    f["j440.jpg"] = cjpeg(src, "-quality", "85", "-sample", "1x2")
    f["j411.jpg"] = cjpeg(src, "-quality", "85", "-sample", "4x1")
    f["j420_c2x2_y1x1.jpg"] = cjpeg(src, "-quality", "85", "-sample", "1x1,2x2,2x2")
    f["jrgb.jpg"] = cjpeg(src, "-quality", "90", "-rgb")
    f["restart_420.jpg"] = cjpeg(src, "-quality", "85", "-restart", "1")
    f["restart_prog420.jpg"] = cjpeg(src, "-quality", "85", "-progressive", "-restart", "3B")
    f["arith.jpg"] = cjpeg(src, "-quality", "85", "-arithmetic")

    # PNG
    f["bit1.png"] = pngb(photo(29, 11).convert("1"))
    rng = np.random.default_rng(7)
    g2 = rng.integers(0, 4, size=(9, 13))
    f["gray2.png"] = png_file(13, 9, 2, 0, [pack_bits(list(r), 2) for r in g2])
    g4 = rng.integers(0, 16, size=(9, 13))
    f["gray4.png"] = png_file(13, 9, 4, 0, [pack_bits(list(r), 4) for r in g4])
    g16 = rng.integers(0, 65536, size=(7, 11))
    f["gray16.png"] = png_file(11, 7, 16, 0, [pack_bits(list(r), 16) for r in g16])
    f["gray16_trns.png"] = png_file(11, 7, 16, 0, [pack_bits(list(r), 16) for r in g16],
                                    extra=png_chunk(b"tRNS", struct.pack(">H", int(g16[2, 3]))))
    c16 = rng.integers(0, 65536, size=(7, 11, 3))
    f["rgb16.png"] = png_file(11, 7, 16, 2, [pack_bits(list(r.reshape(-1)), 16) for r in c16])
    f["rgb16_trns.png"] = png_file(11, 7, 16, 2, [pack_bits(list(r.reshape(-1)), 16) for r in c16],
                                   extra=png_chunk(b"tRNS", struct.pack(">HHH", *[int(v) for v in c16[1, 1]])))
    a16 = rng.integers(0, 65536, size=(7, 11, 4))
    f["rgba16.png"] = png_file(11, 7, 16, 6, [pack_bits(list(r.reshape(-1)), 16) for r in a16])
    la16 = rng.integers(0, 65536, size=(7, 11, 2))
    f["la16.png"] = png_file(11, 7, 16, 4, [pack_bits(list(r.reshape(-1)), 16) for r in la16])
    f["la8.png"] = pngb(Image.merge("LA", [photo(31, 17).convert("L"), photo(31, 17, box=(10, 10)).convert("L")]))
    f["gray_trns.png"] = png_file(13, 9, 8, 0, [bytes(list(r)) for r in rng.integers(0, 256, size=(9, 13))],
                                  extra=png_chunk(b"tRNS", struct.pack(">H", 77)))
    f["rgb_trns.png"] = png_file(5, 3, 8, 2, [bytes(list(r.reshape(-1))) for r in rng.integers(0, 256, size=(3, 5, 3))],
                                 extra=png_chunk(b"tRNS", struct.pack(">HHH", 1, 2, 3)))
    pal = [(255, 0, 0), (0, 128, 0), (0, 0, 255), (250, 250, 10), (17, 34, 51)]
    pidx = rng.integers(0, 8, size=(6, 10))  # indices 5..7 lie beyond the 5-entry PLTE
    plte = png_chunk(b"PLTE", b"".join(bytes(c) for c in pal))
    f["pal_trns.png"] = png_file(10, 6, 8, 3, [bytes(list(r)) for r in pidx],
                                 extra=plte + png_chunk(b"tRNS", bytes([0, 128, 255])))
    f["pal4bit.png"] = png_file(10, 6, 4, 3, [pack_bits(list(r), 4) for r in pidx], extra=plte)
    f["pal_pillow.png"] = pngb(photo(40, 30).convert("P", palette=Image.Palette.ADAPTIVE, colors=37), transparency=3)
    rgb = np.asarray(photo(37, 23, "chelsea.png", (50, 50)))
    f["interlaced.png"] = png_file(37, 23, 8, 2, adam7_rows(rgb, 3), interlace=1)
    ga = np.asarray(Image.merge("LA", [photo(9, 6).convert("L"), photo(9, 6, box=(0, 0)).convert("L")]))
    f["interlaced_la.png"] = png_file(9, 6, 8, 4, adam7_rows(ga, 2), interlace=1)
    # How PIL reads damaged tails: no IEND, a cut IEND, a cut IDAT CRC and a
    # wrong IDAT CRC are accepted; a cut chunk body after IDAT is not.
    full = f["interlaced.png"]
    assert full[-8:-4] == b"IEND"
    f["tail_no_iend.png"] = full[:-12]
    f["tail_cut_iend.png"] = full[:-6]
    f["tail_cut_idat_crc.png"] = full[:-14]
    f["tail_bad_idat_crc.png"] = full[:-16] + bytes([full[-16] ^ 0x55]) + full[-15:]
    f["tail_cut_chunk.png"] = full[:-12] + b"\x00\x00\x01\x00zzzz"
    f["exif_orient3.png"] = png_file(5, 3, 8, 0, [bytes(range(5))] * 3,
                                     extra=png_chunk(b"eXIf", tiff_orientation(3, big_endian=True)))

    # GIF
    f["pillow.gif"] = gifb(photo(40, 30).convert("P", palette=Image.Palette.ADAPTIVE, colors=20))
    colors = [(10 * i, 255 - 7 * i, (37 * i) % 256) for i in range(16)]
    sub = list(rng.integers(0, 16, size=8 * 5))
    f["gif_subframe_trns.gif"] = gif_file(20, 10, (3, 2, 8, 5, sub), global_colors=colors[:8], gbits=3,
                                          local_colors=colors, lbits=4, transparency=2)
    f["gif_subframe.gif"] = gif_file(20, 10, (3, 2, 8, 5, sub), global_colors=colors, gbits=4)
    big = list(rng.integers(0, 16, size=12 * 7))
    f["gif_grow.gif"] = gif_file(10, 5, (4, 3, 12, 7, big), global_colors=colors, gbits=4)
    ramp = [(i, i, i) for i in range(16)]
    f["gif_grayramp.gif"] = gif_file(8, 4, (0, 0, 8, 4, list(rng.integers(0, 16, size=32))), global_colors=ramp, gbits=4)
    f["gif_local_ramp.gif"] = gif_file(8, 4, (0, 0, 8, 4, list(rng.integers(0, 16, size=32))), global_colors=colors,
                                       gbits=4, local_colors=ramp, lbits=4)
    rows = [list(rng.integers(0, 16, size=7)) for _ in range(11)]
    f["gif_interlaced.gif"] = gif_file(7, 11, (0, 0, 7, 11, sum(interlace_order(rows), [])), global_colors=colors,
                                       gbits=4, interlace=True)
    f["gif_beyond_table.gif"] = gif_file(6, 4, (0, 0, 6, 4, list(rng.integers(0, 10, size=24))),
                                         global_colors=colors[:4], gbits=2)
    f["gif_min2.gif"] = gif_file(6, 4, (0, 0, 6, 4, list(rng.integers(0, 4, size=24))),
                                 global_colors=colors[:4], gbits=2, min_size=2)

    # WebP
    f["lossy_33x17.webp"] = webp(photo(33, 17, "astronaut.png", (250, 330)), quality=75)
    f["lossy_1x1.webp"] = webp(photo(1, 1, "astronaut.png", (250, 330)), quality=75)
    f["lossy_2x5.webp"] = webp(photo(2, 5, "astronaut.png", (250, 330)), quality=75)
    rgba = golden("chelsea_rgba.png").crop((90, 100, 147, 131))  # 57x31, alpha edge and ramp
    f["lossy_alpha.webp"] = webp(rgba, quality=70)
    f["lossless_alpha.webp"] = webp(rgba, lossless=True)
    f["lossless_opaque_rgba.webp"] = webp(photo(19, 13).convert("RGBA"), lossless=True)
    exif8 = Image.Exif()
    exif8[0x0112] = 8
    f["exif_orient8.webp"] = webp(photo(20, 12), quality=80, exif=exif8.tobytes())
    # Raw (uncompressed) ALPH chunks with each filter, around a lossy frame.
    base = webp(photo(23, 13, "chelsea.png", (60, 40)), quality=80)
    vp8 = [d for t, d in webp_chunks(base) if t == b"VP8 "][0]
    alpha = np.asarray(rgba.crop((0, 0, 23, 13)).getchannel("A"))
    for method in (0, 1, 2, 3):
        payload = bytes([method << 2]) + alpha_filter(alpha, method).tobytes() if method else bytes([0]) + alpha.tobytes()
        f[f"alph_raw_filter{method}.webp"] = riff([(b"VP8X", vp8x(0x10, 23, 13)), (b"ALPH", payload), (b"VP8 ", vp8)])
    # Which flag decides RGB vs RGBA for lossless frames: the VP8L header's.
    opaque = [d for t, d in webp_chunks(f["lossless_opaque_rgba.webp"]) if t == b"VP8L"][0]
    withalpha = [d for t, d in webp_chunks(f["lossless_alpha.webp"]) if t == b"VP8L"][0]
    f["vp8x_alphaflag_vp8l_opaque.webp"] = riff([(b"VP8X", vp8x(0x10, 19, 13)), (b"VP8L", opaque)])
    f["vp8x_noalphaflag_vp8l_alpha.webp"] = riff([(b"VP8X", vp8x(0x00, 57, 31)), (b"VP8L", withalpha)])
    f["vp8x_alphaflag_noalph.webp"] = riff([(b"VP8X", vp8x(0x10, 23, 13)), (b"VP8 ", vp8)])
    return f


def pil_reference(data):
    """What PIL gives for Image.open: (entry, pixel bytes) or (entry, None)."""
    e = {}
    try:
        im = Image.open(io.BytesIO(data))
        im.load()
    except Exception as exc:  # noqa: BLE001 - recorded as the expected outcome
        e["pil_error"] = f"{type(exc).__name__}: {exc}"
        return e, None
    e["format"] = im.format.lower()
    e["mode"] = im.mode
    e["size"] = list(im.size)
    e["orientation"] = int(im.getexif().get(0x0112, 0) or 0)
    if im.format == "JPEG":
        e["progressive"] = bool(im.info.get("progressive", 0))
        e["sampling"] = [[h, v] for (_, h, v, _) in im.layer]
    px = im.tobytes()
    if im.mode == "1":
        e["mode"] = "L"
        px = im.convert("L").tobytes()
    if im.mode == "I":
        # 32-bit native little-endian ints
        e["int32"] = True
    if im.mode == "P":
        e["palette"] = len(im.getpalette()) // 3
        e["palette_sha256"] = hashlib.sha256(bytes(im.getpalette())).hexdigest()
    e["sha256"] = hashlib.sha256(px).hexdigest()
    return e, px


def main():
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(os.path.join(OUT, "golden_rows"), exist_ok=True)
    entries = []
    for name, data in sorted(make_inputs().items()):
        with open(os.path.join(OUT, name), "wb") as fh:
            fh.write(data)
        e, px = pil_reference(data)
        e = {"file": name, **e}
        if px is not None:
            e["pixels"] = name + ".pil.gz"
            with open(os.path.join(OUT, e["pixels"]), "wb") as fh:
                fh.write(gz(px))
        entries.append(e)
    with open(os.path.join(OUT, "expected.json"), "w") as fh:
        json.dump({"generator": "make_decode_fixtures.py", "pillow": PIL.__version__,
                   "libjpeg_turbo": "2.1.5", "libwebp": features.version("webp"),
                   "entries": entries}, fh, indent=1)
        fh.write("\n")

    # Benchmark input (no reference pixels): a 640x480 4:2:0 photo JPEG as
    # Pillow writes it by default.
    with open(os.path.join(OUT, "bench_640x480.jpg"), "wb") as fh:
        fh.write(jpg(golden("rocket.jpg").resize((640, 480), Image.BICUBIC), quality=90))

    manifest = json.load(open(os.path.join(GOLDEN, "manifest.json")))
    gold = []
    for img in manifest["images"]:
        im = Image.open(os.path.join(GOLDEN, img["file"]))
        px = im.tobytes()
        g = {"file": img["file"], "mode": im.mode, "size": list(im.size),
             "pixels_sha256": hashlib.sha256(px).hexdigest()}
        if im.format in ("JPEG",) or (im.format == "WEBP" and not img["lossless"]):
            w, h = im.size
            rb = len(px) // h
            rows = list(range(0, h, 8)) + ([h - 1] if (h - 1) % 8 else [])
            g["rows"] = rows
            g["rows_file"] = "golden_rows/" + img["file"] + ".rows.gz"
            with open(os.path.join(OUT, g["rows_file"]), "wb") as fh:
                fh.write(gz(b"".join(px[r * rb:(r + 1) * rb] for r in rows)))
        gold.append(g)
    with open(os.path.join(OUT, "golden.json"), "w") as fh:
        json.dump({"images": gold}, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
