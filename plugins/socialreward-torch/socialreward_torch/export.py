"""Export of a trained torch CLIP as a model directory srbench's Go
``socialreward`` plugin scores (split towers, Optimum's names):

* ``text_model.onnx``: ``input_ids`` and ``attention_mask`` (int64
  [batch, context]) → ``text_embeds`` (float32 [batch, embed], L2-normalised
  as in Optimum's exports). OpenAI's text encoder reads no padding mask (it
  is causal and pools at the end token), so ``attention_mask`` is declared
  but ignored: it enters the graph only as an exact no-op
  (``+ 0·mask[:, :1]``), because ``torch.onnx.export`` drops inputs nothing
  reads.
* ``vision_model.onnx``: ``pixel_values`` (float32 [batch, 3, R, R]) →
  ``image_embeds`` (float32 [batch, embed], L2-normalised).

Batch axes are dynamic; the sequence length is the model's context (77).
Beside them: ``model.pt`` (the full trained state dict, so training can go
on from the directory with this plugin), the OpenAI vocabulary,
``srbench.yaml`` (kind socialreward, OpenAI tokenizer, pipeline openai) and
``training.json``.
"""

from __future__ import annotations

import inspect
import io
import json
import os
import warnings
from typing import Optional

import torch
from torch import Tensor, nn

from .model import CLIP, normalize
from . import modeldir

#: ONNX opset of the exported files (ONNX Runtime >= 1.11 runs it).
OPSET = 14


class TextTower(nn.Module):
    """input_ids, attention_mask → normalised text embeddings."""

    def __init__(self, model: CLIP) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        emb = normalize(self.model.encode_text(input_ids))
        # The mask is ignored; this exact no-op keeps it a graph input.
        return emb + (attention_mask[:, :1] * 0).to(emb.dtype)


class VisionTower(nn.Module):
    """pixel_values → normalised image embeddings."""

    def __init__(self, model: CLIP) -> None:
        super().__init__()
        self.model = model

    def forward(self, pixel_values: Tensor) -> Tensor:
        return normalize(self.model.encode_image(pixel_values))


def _export(module: nn.Module, args: tuple, path: str, inputs: list, output: str) -> None:
    axes = {name: {0: "batch"} for name in inputs + [output]}
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kw = {}
        if "dynamo" in inspect.signature(torch.onnx.export).parameters:
            kw["dynamo"] = False  # torch >= 2.9 defaults to the dynamo exporter (needs onnxscript)
        torch.onnx.export(module, args, buf, input_names=inputs, output_names=[output], dynamic_axes=axes,
                          opset_version=OPSET, do_constant_folding=True, **kw)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(buf.getvalue())
    os.replace(tmp, path)


def export_onnx(model: CLIP, out_dir: str) -> None:
    """Writes text_model.onnx and vision_model.onnx of model into out_dir."""
    model = model.to("cpu").eval()
    c = model.config
    ids = torch.zeros(2, c.context_length, dtype=torch.int64)
    ids[:, 0] = 49406
    ids[0, 1], ids[0, 2] = 320, 49407
    ids[1, 1], ids[1, 2], ids[1, 3] = 320, 1125, 49407
    mask = (ids != 0).to(torch.int64)
    px = torch.zeros(2, 3, c.image_resolution, c.image_resolution)
    with torch.no_grad():
        _export(TextTower(model), (ids, mask), os.path.join(out_dir, "text_model.onnx"),
                ["input_ids", "attention_mask"], "text_embeds")
        _export(VisionTower(model), (px,), os.path.join(out_dir, "vision_model.onnx"), ["pixel_values"], "image_embeds")


def write_model_dir(model: CLIP, out_dir: str, vocab_path: str, description: str,
                    training: Optional[dict] = None, onnx: bool = True) -> None:
    """Writes a model directory usable by both this plugin (model.pt) and,
    with onnx, the Go socialreward plugin (the ONNX towers)."""
    os.makedirs(out_dir, exist_ok=True)
    sd = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    tmp = os.path.join(out_dir, modeldir.WEIGHTS + ".tmp")
    torch.save(sd, tmp)
    os.replace(tmp, os.path.join(out_dir, modeldir.WEIGHTS))
    modeldir.copy_file(vocab_path, os.path.join(out_dir, modeldir.VOCAB))
    if onnx:
        export_onnx(model, out_dir)
    modeldir.write_manifest(out_dir, model, description)
    if training is not None:
        with open(os.path.join(out_dir, "training.json"), "w", encoding="utf-8") as f:
            json.dump(training, f, indent=2, sort_keys=False)
            f.write("\n")
