"""Scoring with a torch CLIP: tokenize, preprocess, embed, cosine.

The score is what srbench's Go socialreward plugin computes for a model
directory without adapters (plugins/socialreward, harness/dualenc): the
cosine of the text and image embeddings, computed in float64 from the
float32 embeddings, no logit scale.
"""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from .model import CLIP, normalize
from .preprocess import ImageError, Preprocessor
from .tokenizer import CLIPTokenizer

DEFAULT_BATCH_SIZE = 32


def resolve_device(device: str, provider: str = "") -> torch.device:
    """The torch device for the plugin's "device" option and the host's
    provider ("" or "cpu", or "cuda"); fails clearly when CUDA is asked
    for and not available, or when the two disagree."""
    provider = (provider or "").lower()
    device = (device or "").lower()
    if provider not in ("", "cpu", "cuda"):
        raise ValueError(f"provider {provider!r}: the torch scorer supports cpu and cuda")
    if device not in ("", "cpu", "cuda") and not device.startswith("cuda:"):
        raise ValueError(f"option device={device!r}: want cpu, cuda or cuda:N")
    if device and provider and (device == "cpu") != (provider == "cpu"):
        raise ValueError(f"option device={device!r} contradicts provider {provider!r}")
    want = device or provider or "cpu"
    if want.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device {want!r} asked for, but this torch ({torch.__version__}) has no usable CUDA "
                f"(torch.version.cuda={torch.version.cuda}); install a CUDA build of torch or use device=cpu"
            )
        d = torch.device(want)
        if d.index is not None and d.index >= torch.cuda.device_count():
            raise ValueError(f"device {want!r}: only {torch.cuda.device_count()} CUDA device(s)")
        return d
    return torch.device("cpu")


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity in float64 (NaN for a zero vector), as Go's dualenc.Cosine."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    na, nb = float(np.dot(a64, a64)), float(np.dot(b64, b64))
    if na == 0 or nb == 0:
        return math.nan
    return float(np.dot(a64, b64)) / math.sqrt(na * nb)


@dataclass
class ItemInput:
    """One (prompt, encoded image) to score; image is None when it could not
    be read (error says why)."""

    prompt: str
    image: Optional[bytes]
    error: str = ""


class Engine:
    """A torch CLIP with its tokenizer and preprocessing. Thread-safe: the
    model runs one batch at a time."""

    def __init__(self, model: CLIP, tokenizer: CLIPTokenizer, device: torch.device, batch_size: int = 0,
                 max_pixels: int = 0) -> None:
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.device = device
        self.batch_size = batch_size if batch_size > 0 else DEFAULT_BATCH_SIZE
        kw = {"max_pixels": max_pixels} if max_pixels > 0 else {}
        self.preprocess = Preprocessor(model.config.image_resolution, **kw)
        self._lock = threading.Lock()

    def token_ids(self, prompts: Sequence[str]) -> torch.Tensor:
        return self.tokenizer(prompts)

    @torch.no_grad()
    def embed_texts(self, prompts: Sequence[str]) -> np.ndarray:
        """Text embeddings [n, d] (float32, L2-normalised)."""
        out = []
        for i in range(0, len(prompts), self.batch_size):
            ids = self.token_ids(prompts[i : i + self.batch_size]).to(self.device)
            with self._lock:
                out.append(normalize(self.model.encode_text(ids)).float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.model.config.embed_dim), np.float32)

    @torch.no_grad()
    def embed_pixels(self, pixels: torch.Tensor) -> np.ndarray:
        """Image embeddings [n, d] (float32, L2-normalised) of preprocessed pixels."""
        out = []
        for i in range(0, pixels.shape[0], self.batch_size):
            with self._lock:
                x = pixels[i : i + self.batch_size].to(self.device)
                out.append(normalize(self.model.encode_image(x)).float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.model.config.embed_dim), np.float32)

    def score(self, items: Sequence[ItemInput]) -> List[Tuple[float, str]]:
        """(score, error) per item: the cosine of the prompt's and the image's
        embeddings; an image that does not decode fails its item only. Each
        distinct prompt and image is embedded once."""
        prompts: Dict[str, int] = {}
        images: Dict[bytes, int] = {}
        img_err: List[str] = []
        pixels: List[Optional[torch.Tensor]] = []
        item_ref: List[Tuple[int, int]] = []
        for it in items:
            p = prompts.setdefault(it.prompt, len(prompts))
            if it.image is None:
                item_ref.append((p, -1))
                continue
            key = hashlib.sha256(it.image).digest()
            j = images.get(key)
            if j is None:
                j = images[key] = len(pixels)
                try:
                    pixels.append(self.preprocess(it.image))
                    img_err.append("")
                except ImageError as e:
                    pixels.append(None)
                    img_err.append(str(e))
            item_ref.append((p, j))
        temb = self.embed_texts(list(prompts))
        ok = [j for j, px in enumerate(pixels) if px is not None]
        iemb: Dict[int, np.ndarray] = {}
        if ok:
            e = self.embed_pixels(torch.stack([pixels[j] for j in ok]))
            iemb = {j: e[k] for k, j in enumerate(ok)}
        out: List[Tuple[float, str]] = []
        for it, (p, j) in zip(items, item_ref):
            if j < 0:
                out.append((0.0, it.error or "no image"))
            elif img_err[j]:
                out.append((0.0, img_err[j]))
            else:
                out.append((cosine(temb[p], iemb[j]), ""))
        return out
