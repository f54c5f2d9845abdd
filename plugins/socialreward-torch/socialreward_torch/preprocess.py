"""OpenAI CLIP's image preprocessing with Pillow and torchvision.

The transform of OpenAI CLIP (and Social Reward, which uses it unchanged)
applied to ``Image.open(f)`` as it is, which is what srbench's Go ``openai``
pipeline (harness/imageproc) reproduces:

``Resize(224, BICUBIC)`` (shorter side to 224, longer ``int(224*long/short)``,
in the file's own PIL mode: palette images nearest-neighbour, RGBA
premultiplied), ``CenterCrop(224)`` (offsets ``int(round((h-224)/2))``),
``convert("RGB")``, ``ToTensor`` (x/255) and ``Normalize`` with CLIP's mean
and std. EXIF orientation is not applied (PIL does not). Images with more
than :data:`MAX_PIXELS` pixels are refused before decoding, like the Go
decoder's default budget.
"""

from __future__ import annotations

import io
from typing import Callable

import torch
from PIL import Image
from torchvision import transforms
from torchvision.transforms import InterpolationMode

MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)
#: Pixel budget (width × height) checked before decoding: srbench's
#: imageproc.DefaultMaxPixels.
MAX_PIXELS = 50_000_000


def _to_rgb(im: Image.Image) -> Image.Image:
    return im.convert("RGB")


def openai_transform(size: int = 224) -> Callable[[Image.Image], torch.Tensor]:
    """OpenAI CLIP's torchvision transform for images of ``size`` pixels."""
    return transforms.Compose(
        [
            transforms.Resize(size, interpolation=InterpolationMode.BICUBIC),
            transforms.CenterCrop(size),
            _to_rgb,
            transforms.ToTensor(),
            transforms.Normalize(MEAN, STD),
        ]
    )


class ImageError(ValueError):
    """An image that cannot be decoded or is over the pixel budget."""


def open_image(data: bytes, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Decodes encoded image bytes with Pillow (fully, so a truncated or
    corrupt file fails here), in the file's own mode."""
    try:
        im = Image.open(io.BytesIO(data))
    except Exception as e:  # PIL raises UnidentifiedImageError and others
        raise ImageError(f"cannot decode image ({len(data)} bytes): {e}") from e
    w, h = im.size
    if max_pixels > 0 and w * h > max_pixels:
        raise ImageError(f"image of {w}x{h} = {w * h} pixels is over the {max_pixels}-pixel budget")
    try:
        im.load()
    except Exception as e:
        raise ImageError(f"cannot decode {im.format or 'image'} ({len(data)} bytes): {e}") from e
    return im


class Preprocessor:
    """Encoded image bytes → normalised float32 tensor [3, size, size]."""

    def __init__(self, size: int = 224, max_pixels: int = MAX_PIXELS) -> None:
        self.size = size
        self.max_pixels = max_pixels
        self._transform = openai_transform(size)

    def __call__(self, data: bytes) -> torch.Tensor:
        im = open_image(data, self.max_pixels)
        try:
            return self._transform(im)
        except Exception as e:
            raise ImageError(f"cannot preprocess {im.format or 'image'} of mode {im.mode}: {e}") from e

    def describe(self) -> str:
        import PIL
        import torchvision

        return (
            f"openai: torchvision Resize({self.size}, bicubic) + CenterCrop({self.size}) + RGB + ToTensor + "
            f"Normalize(CLIP mean/std) (Pillow {PIL.__version__}, torchvision {torchvision.__version__})"
        )
