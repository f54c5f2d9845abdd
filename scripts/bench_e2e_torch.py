"""PyTorch eager contender of `make bench-e2e`: CLIPScore as a researcher
would compute it in PyTorch, file -> PIL -> CLIP's transform -> model.

The model is OpenAI CLIP's architecture (a vision transformer over patches
with a class token, a causal text transformer read at its end-of-text
token, QuickGELU, pre-norm residual blocks, linear projections), written
here from its description with random weights: the same shapes as the
ONNX model the Go contenders run (ViT-B/32 by default), so the same
arithmetic. Tokenization is a stand-in (hashed words, padded to 77): its
cost is negligible next to the model's, and the `clip` package is not in
Debian.

Usage: bench_e2e_torch.py --pairs PAIRS.jsonl --batch N
Prints one JSON line: images/s after the first batch, and the settings.
Needs Debian's python3-torch and python3-torchvision (make bench-e2e
TORCH=1 installs them).
"""

import argparse
import json
import os
import time

import torch
from PIL import Image
from torch import nn
from torchvision import transforms


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, width, heads, causal_len=0):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), QuickGELU(), nn.Linear(4 * width, width))
        self.mask = None
        if causal_len:
            self.mask = torch.full((causal_len, causal_len), float("-inf")).triu(1)

    def forward(self, x):  # x: [seq, batch, width]
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=self.mask)[0]
        return x + self.mlp(self.ln_2(x))


class Vision(nn.Module):
    def __init__(self, size, patch, width, layers, heads, embed):
        super().__init__()
        grid = size // patch
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch, stride=patch, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(width) * width ** -0.5)
        self.positional_embedding = nn.Parameter(torch.randn(grid * grid + 1, width) * width ** -0.5)
        self.ln_pre = nn.LayerNorm(width)
        self.blocks = nn.Sequential(*[Block(width, heads) for _ in range(layers)])
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(torch.randn(width, embed) * width ** -0.5)

    def forward(self, x):
        x = self.conv1(x).flatten(2).permute(0, 2, 1)  # [batch, patches, width]
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        x = self.blocks(self.ln_pre(x).permute(1, 0, 2)).permute(1, 0, 2)
        return self.ln_post(x[:, 0, :]) @ self.proj


class Text(nn.Module):
    def __init__(self, vocab, context, width, layers, heads, embed):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, width)
        self.positional_embedding = nn.Parameter(torch.randn(context, width) * 0.01)
        self.blocks = nn.Sequential(*[Block(width, heads, context) for _ in range(layers)])
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(torch.randn(width, embed) * width ** -0.5)

    def forward(self, ids):
        x = self.token_embedding(ids) + self.positional_embedding
        x = self.blocks(x.permute(1, 0, 2)).permute(1, 0, 2)
        x = self.ln_final(x)
        eot = ids.argmax(dim=-1)  # the end-of-text token has the largest id
        return x[torch.arange(x.shape[0]), eot] @ self.text_projection


def tokenize(prompts, vocab=49408, context=77):
    ids = torch.zeros(len(prompts), context, dtype=torch.long)
    for i, p in enumerate(prompts):
        words = [49406] + [hash(w) % 49000 + 1 for w in p.lower().split()][: context - 2] + [49407]
        ids[i, : len(words)] = torch.tensor(words)
    return ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--size", default="B32", choices=["B32"])
    args = ap.parse_args()

    torch.manual_seed(0)
    vision = Vision(224, 32, 768, 12, 12, 512).eval()
    text = Text(49408, 77, 512, 12, 8, 512).eval()
    # CLIP's _transform: resize the short side to 224 (bicubic), centre
    # crop, RGB, to tensor, normalize with CLIP's mean and std.
    preprocess = transforms.Compose([
        transforms.Resize(224, interpolation=transforms.InterpolationMode.BICUBIC),
        transforms.CenterCrop(224),
        lambda im: im.convert("RGB"),
        transforms.ToTensor(),
        transforms.Normalize((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)),
    ])

    base = os.path.dirname(os.path.abspath(args.pairs))
    items = []
    with open(args.pairs) as f:
        for line in f:
            p = json.loads(line)
            for side in ("image_a", "image_b"):
                items.append((p["prompt"], os.path.join(base, p[side])))

    times = []
    with torch.no_grad():
        for lo in range(0, len(items), args.batch):
            batch = items[lo: lo + args.batch]
            t0 = time.perf_counter()
            pixels = torch.stack([preprocess(Image.open(path)) for _, path in batch])
            ids = tokenize([prompt for prompt, _ in batch])
            img = vision(pixels)
            txt = text(ids)
            img = img / img.norm(dim=-1, keepdim=True)
            txt = txt / txt.norm(dim=-1, keepdim=True)
            scores = 100 * (img * txt).sum(dim=-1).clamp(min=0)
            scores.tolist()
            times.append((len(batch), time.perf_counter() - t0))
    steady = times[1:]
    n = sum(k for k, _ in steady)
    secs = sum(t for _, t in steady)
    print(json.dumps({
        "images_per_s": n / secs if secs > 0 else 0,
        "images": n, "seconds": secs, "batch": args.batch,
        "threads": torch.get_num_threads(), "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
