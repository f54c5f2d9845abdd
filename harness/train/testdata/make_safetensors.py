#!/usr/bin/python3
"""Hand-made safetensors fixtures for harness/train's checkpoint tests, written
with struct and json only (not with srbench's writer), following the format of
https://github.com/huggingface/safetensors: u64 little-endian header length N,
N bytes of JSON header, then the raw little-endian data; data_offsets are
relative to the end of the header.

adapters_f32.safetensors: text Linear 2x2 + image LowRank (dim 2, rank 1), F32,
  compact JSON, metadata first with sorted keys, tensors in name order, header
  padded with spaces to a multiple of 8 -- the exact bytes srbench's writer
  must produce for this model with DType F32.
mlp_f64_pretty.safetensors: image MLP (dim 2, hidden 3), F64, indented JSON,
  header entries in scrambled order, data laid out in a different order than
  the names -- a reader-robustness fixture.
fixtures.json: the tensor values and metadata, for the test to compare with.
Run: /usr/bin/python3 make_safetensors.py
"""
import json
import struct


def write(path, tensors, metadata, dtype, order, header_order, indent=None):
    fmt = {"F32": "<f", "F64": "<d"}[dtype]
    size = struct.calcsize(fmt)
    info, data, off = {}, b"", 0
    for name in order:  # data layout order
        shape, vals = tensors[name]
        raw = b"".join(struct.pack(fmt, v) for v in vals)
        info[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
        data += raw
        off += len(raw)
    header = {"__metadata__": dict(sorted(metadata.items()))}
    for name in header_order:
        header[name] = info[name]
    if indent is None:
        text = json.dumps(header, separators=(",", ":"))
    else:
        text = json.dumps(header, indent=indent)
    hb = text.encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)) + hb + data)


f32 = {
    "text.W": ([2, 2], [1.0, 2.0, 3.0, 4.0]),
    "text.b": ([2], [0.5, -0.5]),
    "image.U": ([2, 1], [0.5, -1.0]),
    "image.V": ([2, 1], [2.0, 0.25]),
    "image.b": ([2], [0.0, 1.0]),
}
f32_meta = {
    "format": "srbench-adapters/v1",
    "srbench.text_adapter": "linear",
    "srbench.image_adapter": "lowrank",
    "note": "hand-made fixture",
}
names = sorted(f32)
write("adapters_f32.safetensors", f32, f32_meta, "F32", names, names)

f64 = {
    "image.W1": ([3, 2], [0.1, -0.2, 0.3, 0.4, -0.5, 0.6]),
    "image.b1": ([3], [0.01, 0.02, -0.03]),
    "image.W2": ([2, 3], [1.5, -2.5, 0.125, 3.0, 0.0, -1.0]),
    "image.b2": ([2], [1e-3, -2e-3]),
}
f64_meta = {"srbench.image_adapter": "mlp", "trained_by": "nobody"}
write("mlp_f64_pretty.safetensors", f64, f64_meta, "F64",
      ["image.b2", "image.W1", "image.W2", "image.b1"],
      ["image.W2", "image.b1", "image.b2", "image.W1"], indent=2)

with open("fixtures.json", "w") as f:
    json.dump({"adapters_f32": {"tensors": f32, "metadata": f32_meta},
               "mlp_f64_pretty": {"tensors": f64, "metadata": f64_meta}}, f, indent=1)
