"""OpenAI-format CLIP in PyTorch, with the `clip` package's state-dict layout.

Written from the architecture's description (Radford et al. 2021, and the
key names of OpenAI's released checkpoints), not from OpenAI's code:

* image tower: a vision transformer. A bias-free convolution with kernel and
  stride = patch size (``visual.conv1``) cuts the image into patches; a
  learned class token (``visual.class_embedding``) is prepended, learned
  positions added (``visual.positional_embedding``), ``visual.ln_pre``
  applied, then pre-norm residual blocks; the class token's final state goes
  through ``visual.ln_post`` and the projection ``visual.proj``.
* text tower: token embedding + learned positions, pre-norm residual blocks
  with a causal attention mask, ``ln_final``, and the state at the end token
  (found as the argmax of ``input_ids``: ``<|endoftext|>`` = 49407 is the
  largest id) projected by ``text_projection``.
* each block: ``x + attn(ln_1(x))`` then ``x + mlp(ln_2(x))``; attention with
  one packed input projection (``attn.in_proj_weight``/``in_proj_bias``, rows
  q, k, v) and ``attn.out_proj``; the MLP is ``c_fc`` (width → 4·width),
  QuickGELU ``x·σ(1.702x)``, ``c_proj``.

Every dimension is read from the state dict (as OpenAI's ``build_model``
does); the number of attention heads is not visible in the weights, so it is
a parameter (OpenAI's rule, width // 64, by default). ``logit_scale`` is kept
for state-dict compatibility but unused by the Social Reward score.

Token ids are used as they are when the token embedding has all 49408 rows
(every real checkpoint). A test model built with fewer rows (see
``init_random(vocab=...)``) reduces ids modulo its row count, as srbench's Go
test models do (``clipmodel.Config.FoldTokenIDs``): it keeps the exported ONNX
files small without changing anything for real models.
"""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Mapping, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

#: OpenAI CLIP's BPE vocabulary size (ids 0..49407).
CLIP_VOCAB = 49408


@dataclass(frozen=True)
class CLIPConfig:
    """The dimensions of an OpenAI-format CLIP."""

    embed_dim: int
    image_resolution: int
    vision_layers: int
    vision_width: int
    vision_patch_size: int
    vision_heads: int
    context_length: int
    vocab_size: int
    text_width: int
    text_heads: int
    text_layers: int

    def to_dict(self) -> dict:
        return asdict(self)


class QuickGELU(nn.Module):
    """The GELU approximation OpenAI CLIP was trained with: x·σ(1.702x)."""

    def forward(self, x: Tensor) -> Tensor:
        return x * torch.sigmoid(1.702 * x)


class LayerNorm(nn.LayerNorm):
    """LayerNorm computed in float32 whatever the input dtype (OpenAI's
    checkpoints are float16; this model runs in float32 anyway)."""

    def forward(self, x: Tensor) -> Tensor:
        dtype = x.dtype
        return super().forward(x.float()).to(dtype)


class Attention(nn.Module):
    """Multi-head self-attention with the parameter names of
    ``torch.nn.MultiheadAttention`` (``in_proj_weight``, ``in_proj_bias``,
    ``out_proj``), written out so that it traces to plain ONNX ops and runs
    the same way in training and export."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        if heads <= 0 or width % heads != 0:
            raise ValueError(f"width {width} is not a multiple of {heads} heads")
        self.width, self.heads = width, heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, width))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * width))
        self.out_proj = nn.Linear(width, width)

    def forward(self, x: Tensor, mask: Optional[Tensor] = None) -> Tensor:
        # x: [batch, seq, width]
        b, n = x.shape[0], x.shape[1]
        w, h = self.width, self.heads
        d = w // h
        qkv = F.linear(x, self.in_proj_weight, self.in_proj_bias)
        q, k, v = qkv.chunk(3, dim=-1)
        q = q.reshape(b, n, h, d).transpose(1, 2)  # [b, h, n, d]
        k = k.reshape(b, n, h, d).transpose(1, 2)
        v = v.reshape(b, n, h, d).transpose(1, 2)
        att = (q * (1.0 / math.sqrt(d))) @ k.transpose(-2, -1)  # [b, h, n, n]
        if mask is not None:
            att = att + mask
        att = att.softmax(dim=-1)
        out = (att @ v).transpose(1, 2).reshape(b, n, w)
        return self.out_proj(out)


class ResidualAttentionBlock(nn.Module):
    """A pre-norm transformer block: ``x + attn(ln_1(x))``, ``x + mlp(ln_2(x))``."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.attn = Attention(width, heads)
        self.ln_1 = LayerNorm(width)
        self.mlp = nn.Sequential(
            OrderedDict([("c_fc", nn.Linear(width, 4 * width)), ("gelu", QuickGELU()), ("c_proj", nn.Linear(4 * width, width))])
        )
        self.ln_2 = LayerNorm(width)

    def forward(self, x: Tensor, mask: Optional[Tensor] = None) -> Tensor:
        x = x + self.attn(self.ln_1(x), mask)
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    """A stack of blocks (``resblocks.{i}``) sharing one optional attention mask."""

    def __init__(self, width: int, layers: int, heads: int) -> None:
        super().__init__()
        self.width, self.layers = width, layers
        self.resblocks = nn.ModuleList([ResidualAttentionBlock(width, heads) for _ in range(layers)])

    def forward(self, x: Tensor, mask: Optional[Tensor] = None, no_grad_blocks: int = 0) -> Tensor:
        """Runs the blocks on x ([batch, seq, width]). The first
        ``no_grad_blocks`` blocks run without autograd (frozen prefix)."""
        for i, blk in enumerate(self.resblocks):
            if i < no_grad_blocks:
                with torch.no_grad():
                    x = blk(x, mask)
            else:
                x = blk(x, mask)
        return x


class VisionTransformer(nn.Module):
    """CLIP's image tower (``visual.*``)."""

    def __init__(self, resolution: int, patch: int, width: int, layers: int, heads: int, output_dim: int) -> None:
        super().__init__()
        if resolution % patch != 0:
            raise ValueError(f"image resolution {resolution} is not a multiple of the patch size {patch}")
        grid = resolution // patch
        self.resolution, self.patch = resolution, patch
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch, stride=patch, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(width))
        self.positional_embedding = nn.Parameter(torch.zeros(grid * grid + 1, width))
        self.ln_pre = LayerNorm(width)
        self.transformer = Transformer(width, layers, heads)
        self.ln_post = LayerNorm(width)
        self.proj = nn.Parameter(torch.zeros(width, output_dim))

    def stem(self, x: Tensor) -> Tensor:
        """Patches, class token, positions and ln_pre: [batch, 1+grid², width]."""
        x = self.conv1(x)  # [b, width, grid, grid]
        x = x.flatten(2).transpose(1, 2)  # [b, grid², width]
        cls = self.class_embedding.to(x.dtype).reshape(1, 1, -1).expand(x.shape[0], 1, x.shape[2])
        x = torch.cat([cls, x], dim=1) + self.positional_embedding.to(x.dtype)
        return self.ln_pre(x)

    def forward(self, x: Tensor, frozen_blocks: int = 0) -> Tensor:
        """Image embeddings (not normalised) of pixel values [batch, 3, R, R].
        With frozen_blocks > 0 the stem and that many first blocks run
        without autograd."""
        if frozen_blocks > 0:
            with torch.no_grad():
                x = self.stem(x)
        else:
            x = self.stem(x)
        x = self.transformer(x, None, no_grad_blocks=frozen_blocks)
        return self.ln_post(x[:, 0, :]) @ self.proj


class CLIP(nn.Module):
    """An OpenAI-format CLIP whose ``state_dict()`` has the `clip` package's keys."""

    def __init__(self, cfg: CLIPConfig) -> None:
        super().__init__()
        self.config = cfg
        self.visual = VisionTransformer(
            cfg.image_resolution, cfg.vision_patch_size, cfg.vision_width, cfg.vision_layers, cfg.vision_heads, cfg.embed_dim
        )
        self.transformer = Transformer(cfg.text_width, cfg.text_layers, cfg.text_heads)
        self.token_embedding = nn.Embedding(cfg.vocab_size, cfg.text_width)
        self.positional_embedding = nn.Parameter(torch.zeros(cfg.context_length, cfg.text_width))
        self.ln_final = LayerNorm(cfg.text_width)
        self.text_projection = nn.Parameter(torch.zeros(cfg.text_width, cfg.embed_dim))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        n = cfg.context_length
        # Additive causal mask: position i attends to positions <= i. Not
        # part of the state dict (OpenAI's checkpoints have none).
        self.register_buffer("causal_mask", torch.full((n, n), float("-inf")).triu(1), persistent=False)

    @property
    def folds_token_ids(self) -> bool:
        """True for reduced-vocabulary test models (ids taken modulo vocab)."""
        return self.config.vocab_size < CLIP_VOCAB

    def encode_image(self, pixel_values: Tensor, frozen_blocks: int = 0) -> Tensor:
        """Image embeddings [batch, embed_dim], not normalised."""
        return self.visual(pixel_values, frozen_blocks)

    def encode_text(self, input_ids: Tensor, frozen_blocks: int = 0) -> Tensor:
        """Text embeddings [batch, embed_dim] of token ids [batch, context],
        not normalised: the state at the argmax of input_ids (the end token)."""
        ids = input_ids
        if self.folds_token_ids:
            ids = torch.remainder(ids, self.config.vocab_size)

        def stem() -> Tensor:
            return self.token_embedding(ids) + self.positional_embedding

        if frozen_blocks > 0:
            with torch.no_grad():
                x = stem()
        else:
            x = stem()
        x = self.transformer(x, self.causal_mask, no_grad_blocks=frozen_blocks)
        x = self.ln_final(x)
        # Pool at the end token: gather row argmax(input_ids) of each sequence.
        eot = input_ids.argmax(dim=-1)
        idx = eot.reshape(-1, 1, 1).expand(x.shape[0], 1, x.shape[2])
        x = torch.gather(x, 1, idx).squeeze(1)
        return x @ self.text_projection


def normalize(x: Tensor) -> Tensor:
    """L2-normalises the rows of x."""
    return x / x.norm(dim=-1, keepdim=True)


def _count_blocks(sd: Mapping[str, Tensor], prefix: str) -> int:
    ids = set()
    for k in sd:
        if k.startswith(prefix + "transformer.resblocks."):
            rest = k[len(prefix + "transformer.resblocks.") :]
            ids.add(int(rest.split(".", 1)[0]))
    if ids and ids != set(range(len(ids))):
        raise ValueError(f"{prefix}transformer.resblocks: block indices {sorted(ids)} are not 0..n-1")
    return len(ids)


def config_from_state_dict(
    sd: Mapping[str, Tensor], vision_heads: Optional[int] = None, text_heads: Optional[int] = None
) -> CLIPConfig:
    """Reads the dimensions of an OpenAI-format CLIP from its state dict.
    Heads default to width // 64 (OpenAI's rule)."""
    need = [
        "visual.conv1.weight",
        "visual.positional_embedding",
        "text_projection",
        "positional_embedding",
        "token_embedding.weight",
        "ln_final.weight",
    ]
    missing = [k for k in need if k not in sd]
    if missing:
        if any(k.startswith("visual.layer1") for k in sd):
            raise ValueError("this is a ResNet CLIP; only ViT CLIP models are supported")
        raise ValueError(f"not an OpenAI-format CLIP state dict: missing {', '.join(missing)}")
    vw = sd["visual.conv1.weight"].shape[0]
    patch = sd["visual.conv1.weight"].shape[-1]
    npos = sd["visual.positional_embedding"].shape[0]
    grid = round((npos - 1) ** 0.5)
    if grid * grid + 1 != npos:
        raise ValueError(f"visual.positional_embedding has {npos} rows, not 1 + a square number of patches")
    tw = sd["ln_final.weight"].shape[0]
    cfg = CLIPConfig(
        embed_dim=sd["text_projection"].shape[1],
        image_resolution=patch * grid,
        vision_layers=_count_blocks(sd, "visual."),
        vision_width=vw,
        vision_patch_size=patch,
        vision_heads=vision_heads or max(vw // 64, 1),
        context_length=sd["positional_embedding"].shape[0],
        vocab_size=sd["token_embedding.weight"].shape[0],
        text_width=tw,
        text_heads=text_heads or max(tw // 64, 1),
        text_layers=_count_blocks(sd, ""),
    )
    if sd.get("visual.proj") is not None and sd["visual.proj"].shape[1] != cfg.embed_dim:
        raise ValueError(f"visual.proj has output {sd['visual.proj'].shape[1]}, text_projection {cfg.embed_dim}")
    return cfg


# Keys some checkpoints carry beside the weights (OpenAI's JIT archives).
_EXTRA_KEYS = ("input_resolution", "context_length", "vocab_size")


def clean_state_dict(obj: object) -> "OrderedDict[str, Tensor]":
    """Extracts a float32 state dict from what torch.load returned: a plain
    state dict, one wrapped under "state_dict"/"model_state_dict"/"model", or
    keys prefixed "module." (DataParallel); drops OpenAI's extra scalar keys."""
    if isinstance(obj, nn.Module):
        obj = obj.state_dict()
    if isinstance(obj, Mapping):
        for key in ("state_dict", "model_state_dict", "model"):
            inner = obj.get(key)
            if isinstance(inner, Mapping) and "text_projection" not in obj:
                obj = inner
                break
    if not isinstance(obj, Mapping):
        raise ValueError(f"expected a state dict, got {type(obj).__name__}")
    out: "OrderedDict[str, Tensor]" = OrderedDict()
    for k, v in obj.items():
        if k.startswith("module."):
            k = k[len("module.") :]
        if k in _EXTRA_KEYS:
            continue
        if not isinstance(v, Tensor):
            raise ValueError(f"state dict entry {k!r} is a {type(v).__name__}, not a tensor")
        out[k] = v.float() if v.is_floating_point() else v
    return out


def load_state_dict_file(path: str) -> "OrderedDict[str, Tensor]":
    """Loads model.pt: a plain state dict (torch.save), or a TorchScript
    archive as OpenAI's `clip` package downloads them."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*TorchScript archive")
            obj = torch.load(path, map_location="cpu")
    except Exception as e:  # RuntimeError; UnpicklingError with weights_only (torch >= 2.6)
        # OpenAI's released files are TorchScript archives (torch >= 2 may
        # dispatch those to torch.jit.load itself).
        try:
            obj = torch.jit.load(path, map_location="cpu").state_dict()
        except Exception:
            raise ValueError(f"{path}: not a PyTorch state dict or TorchScript archive: {e}") from e
    return clean_state_dict(obj)


def build_model(
    sd: Mapping[str, Tensor], vision_heads: Optional[int] = None, text_heads: Optional[int] = None
) -> CLIP:
    """Builds a CLIP from an OpenAI-format state dict (every key must fit)."""
    cfg = config_from_state_dict(sd, vision_heads, text_heads)
    model = CLIP(cfg)
    missing, unexpected = model.load_state_dict(sd, strict=False)
    if missing or unexpected:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing[:8]) + (" …" if len(missing) > 8 else ""))
        if unexpected:
            parts.append("unexpected " + ", ".join(unexpected[:8]) + (" …" if len(unexpected) > 8 else ""))
        raise ValueError("state dict does not fit an OpenAI-format CLIP: " + "; ".join(parts))
    return model.float()


@dataclass(frozen=True)
class RandomSpec:
    """The dimensions of a random-weight model (init_random)."""

    vision_width: int = 32
    vision_layers: int = 4
    vision_heads: int = 4
    vision_patch_size: int = 32
    image_resolution: int = 224
    text_width: int = 32
    text_layers: int = 4
    text_heads: int = 4
    context_length: int = 77
    vocab_size: int = CLIP_VOCAB
    embed_dim: int = 32


def init_random(spec: RandomSpec, seed: int) -> CLIP:
    """A CLIP of spec's dimensions with random weights drawn like OpenAI's
    initialisation (token embedding N(0, 0.02²), text positions N(0, 0.01²),
    attention and MLP weights scaled by width^-½ and depth, projections
    N(0, 1/width); the image tower's class token, positions and projection
    N(0, 1/width)). Deterministic for a seed."""
    cfg = CLIPConfig(
        embed_dim=spec.embed_dim,
        image_resolution=spec.image_resolution,
        vision_layers=spec.vision_layers,
        vision_width=spec.vision_width,
        vision_patch_size=spec.vision_patch_size,
        vision_heads=spec.vision_heads,
        context_length=spec.context_length,
        vocab_size=spec.vocab_size,
        text_width=spec.text_width,
        text_heads=spec.text_heads,
        text_layers=spec.text_layers,
    )
    g = torch.Generator().manual_seed(seed)
    model = CLIP(cfg)

    def normal_(t: Tensor, std: float) -> None:
        with torch.no_grad():
            t.copy_(torch.randn(t.shape, generator=g) * std)

    def uniform_(t: Tensor, bound: float) -> None:
        with torch.no_grad():
            t.copy_((torch.rand(t.shape, generator=g) * 2 - 1) * bound)

    def init_tower(tr: Transformer) -> None:
        w, n = tr.width, tr.layers
        proj_std = w**-0.5 * (2 * n) ** -0.5
        attn_std = w**-0.5
        fc_std = (2 * w) ** -0.5
        for blk in tr.resblocks:
            normal_(blk.attn.in_proj_weight, attn_std)
            normal_(blk.attn.in_proj_bias, 0.01)
            normal_(blk.attn.out_proj.weight, proj_std)
            normal_(blk.attn.out_proj.bias, 0.01)
            normal_(blk.mlp.c_fc.weight, fc_std)
            normal_(blk.mlp.c_fc.bias, 0.01)
            normal_(blk.mlp.c_proj.weight, proj_std)
            normal_(blk.mlp.c_proj.bias, 0.01)
            for ln in (blk.ln_1, blk.ln_2):
                normal_(ln.weight, 0.05)
                ln.weight.data.add_(1.0)
                normal_(ln.bias, 0.02)

    v = model.visual
    vw = cfg.vision_width
    uniform_(v.conv1.weight, (3 * cfg.vision_patch_size**2) ** -0.5)
    normal_(v.class_embedding, vw**-0.5)
    normal_(v.positional_embedding, vw**-0.5)
    normal_(v.proj, vw**-0.5)
    init_tower(v.transformer)
    normal_(model.token_embedding.weight, 0.02)
    normal_(model.positional_embedding, 0.01)
    normal_(model.text_projection, cfg.text_width**-0.5)
    init_tower(model.transformer)
    return model
