"""The Social Reward training recipe in PyTorch.

Social Reward (Isajanyan et al., ICLR 2024) fine-tunes OpenAI CLIP with all
but the last blocks frozen. In its mode, and here by default, the trainable
parameters are

* the last ``vision_blocks`` (3) blocks of the image transformer and
  ``visual.ln_post`` (when vision_blocks > 0),
* the last ``text_blocks`` (2) blocks of the text transformer, ``ln_final``
  and ``text_projection`` (when text_blocks > 0);

everything else (patch convolution, class token, positions, ``ln_pre``, the
earlier blocks, ``visual.proj``, token embedding, ``logit_scale``) is
frozen. The loss is the triplet loss on L2-normalised embeddings, anchor =
prompt, positive = preferred image, negative = the other:
``relu(‖a−p‖² − ‖a−n‖² + margin)`` (the official code's; for unit vectors
‖a−p‖² = 2 − 2·cos(a,p), so this is ``relu(margin − 2cos(a,p) + 2cos(a,n))``),
or with ``loss: triplet_cosine`` ``relu(margin − cos(a,p) + cos(a,n))``;
averaged over a batch with the triplets' weights. AdamW (torch's, weight
decay on every trainable parameter), batch 32, lr 3e-5 and 10 epochs as in
the official code (see shared/REFERENCE.md).

Validation accuracy is the weighted share of validation triplets with
cos(prompt, preferred) >= cos(prompt, other), ties counting as correct as in
Social Reward's validate.py and srbench's statistics.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch

from .model import CLIP, normalize

#: Loss names (TrainConfig.loss).
LOSS_TRIPLET = "triplet"
LOSS_TRIPLET_COSINE = "triplet_cosine"


@dataclass
class TrainConfig:
    """Training settings; the JSON keys are the field names. Defaults are
    the paper's / official code's (shared/REFERENCE.md)."""

    vision_blocks: int = 3
    text_blocks: int = 2
    loss: str = LOSS_TRIPLET
    margin: float = 0.3
    lr: float = 3e-5
    weight_decay: float = 0.01
    batch_size: int = 32
    epochs: int = 10
    seed: int = 0
    device: str = ""  # "" = the scorer's device
    #: How many preprocessed images to keep in memory across epochs
    #: (each is 3×224×224 float32 = 588 KiB); the rest are decoded again.
    image_cache: int = 1024

    @classmethod
    def from_json(cls, text: str) -> "TrainConfig":
        """Parses the training config JSON ("" = defaults); unknown keys and
        wrong types are errors naming them."""
        cfg = cls()
        if not text.strip():
            return cfg
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"training config: not JSON: {e}") from e
        if not isinstance(raw, dict):
            raise ValueError("training config: want a JSON object")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - set(fields))
        if unknown:
            raise ValueError(f"training config: unknown key(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(fields))}")
        for k, v in raw.items():
            want = type(getattr(cfg, k))
            if want is float and isinstance(v, int) and not isinstance(v, bool):
                v = float(v)
            if want is int and isinstance(v, float) and v.is_integer():
                v = int(v)
            if not isinstance(v, want) or isinstance(v, bool):
                kind = {int: "an integer", float: "a number", str: "a string"}[want]
                raise ValueError(f"training config: key {k!r}: {json.dumps(v)} is not {kind}")
            setattr(cfg, k, v)
        cfg.check()
        return cfg

    def check(self) -> None:
        def bad(key: str, why: str) -> None:
            raise ValueError(f"training config: key {key!r}: {getattr(self, key)!r}: {why}")

        if self.vision_blocks < 0:
            bad("vision_blocks", "want >= 0")
        if self.text_blocks < 0:
            bad("text_blocks", "want >= 0")
        if self.vision_blocks == 0 and self.text_blocks == 0:
            bad("text_blocks", "vision_blocks and text_blocks are both 0: nothing to train")
        if self.loss not in (LOSS_TRIPLET, LOSS_TRIPLET_COSINE):
            bad("loss", f"want {LOSS_TRIPLET!r} or {LOSS_TRIPLET_COSINE!r}")
        if not (math.isfinite(self.margin) and self.margin > 0):
            bad("margin", "want a finite value > 0")
        if not (math.isfinite(self.lr) and self.lr > 0):
            bad("lr", "want a finite value > 0")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            bad("weight_decay", "want a finite value >= 0")
        if self.batch_size < 1:
            bad("batch_size", "want >= 1")
        if self.epochs < 0:
            bad("epochs", "want >= 0")
        if self.seed < 0:
            bad("seed", "want >= 0")
        if self.image_cache < 0:
            bad("image_cache", "want >= 0")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def freeze(model: CLIP, vision_blocks: int, text_blocks: int) -> List[str]:
    """Sets requires_grad on exactly the parameters Social Reward trains
    (see the module doc) and returns their names, in state-dict order."""
    c = model.config
    if vision_blocks > c.vision_layers:
        raise ValueError(f"vision_blocks {vision_blocks}: the image tower has only {c.vision_layers} blocks")
    if text_blocks > c.text_layers:
        raise ValueError(f"text_blocks {text_blocks}: the text tower has only {c.text_layers} blocks")
    prefixes: List[str] = []
    if vision_blocks > 0:
        prefixes += [f"visual.transformer.resblocks.{i}." for i in range(c.vision_layers - vision_blocks, c.vision_layers)]
        prefixes += ["visual.ln_post."]
    if text_blocks > 0:
        prefixes += [f"transformer.resblocks.{i}." for i in range(c.text_layers - text_blocks, c.text_layers)]
        prefixes += ["ln_final."]
    exact = {"text_projection"} if text_blocks > 0 else set()
    names = []
    for name, p in model.named_parameters():
        on = name in exact or any(name.startswith(pre) for pre in prefixes)
        p.requires_grad_(on)
        if on:
            names.append(name)
    return names


def triplet_loss(anchor: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor, margin: float,
                 weights: Optional[torch.Tensor] = None, loss: str = LOSS_TRIPLET) -> torch.Tensor:
    """The weighted mean triplet loss of L2-normalised rows (see the module doc)."""
    if loss == LOSS_TRIPLET:
        per = torch.relu((anchor - pos).pow(2).sum(-1) - (anchor - neg).pow(2).sum(-1) + margin)
    elif loss == LOSS_TRIPLET_COSINE:
        per = torch.relu(margin - (anchor * pos).sum(-1) + (anchor * neg).sum(-1))
    else:
        raise ValueError(f"unknown loss {loss!r}")
    if weights is None:
        return per.mean()
    return (per * weights).sum() / weights.sum()


@dataclass
class Triplet:
    """A training triplet: prompt, the preferred image's and the other
    image's encoded bytes, weight (> 0)."""

    id: str
    prompt: str
    preferred: bytes
    other: bytes
    weight: float = 1.0


class _Images:
    """Distinct images (by sha256 of their bytes), preprocessed on demand and
    kept in a bounded LRU of pixel tensors."""

    def __init__(self, preprocess: Callable[[bytes], torch.Tensor], cap: int) -> None:
        self.preprocess = preprocess
        self.cap = cap
        self.data: List[bytes] = []
        self.index: Dict[bytes, int] = {}
        self.names: List[str] = []
        self.cache: "OrderedDict[int, torch.Tensor]" = OrderedDict()

    def add(self, data: bytes, name: str) -> int:
        key = hashlib.sha256(data).digest()
        j = self.index.get(key)
        if j is None:
            j = self.index[key] = len(self.data)
            self.data.append(data)
            self.names.append(name)
        return j

    def pixels(self, j: int) -> torch.Tensor:
        px = self.cache.get(j)
        if px is not None:
            self.cache.move_to_end(j)
            return px
        try:
            px = self.preprocess(self.data[j])
        except Exception as e:
            raise ValueError(f"{self.names[j]}: {e}") from e
        if self.cap > 0:
            self.cache[j] = px
            if len(self.cache) > self.cap:
                self.cache.popitem(last=False)
        return px

    def check_all(self) -> None:
        """Decodes every image once (so a broken image fails before training)."""
        for j in range(len(self.data)):
            self.pixels(j)


@dataclass
class _Set:
    """Triplets as indices into the distinct prompts and images."""

    prompt: torch.Tensor  # [n] int64
    pos: torch.Tensor
    neg: torch.Tensor
    weight: torch.Tensor  # [n] float32

    def __len__(self) -> int:
        return int(self.prompt.shape[0])


@dataclass
class Event:
    """A progress report (mirrors the SDK's TrainEvent)."""

    epoch: int = 0
    step: int = 0
    total_steps: int = 0
    loss: float = 0.0
    has_validation: bool = False
    validation_accuracy: float = 0.0
    message: str = ""


@dataclass
class Result:
    """What train() returns: the trained model (on the CPU) and the record."""

    model: CLIP
    config: TrainConfig
    trainable: List[str]
    history: List[dict]
    metrics: dict


class Trainer:
    """Trains a CLIP in place with Social Reward's recipe."""

    def __init__(self, model: CLIP, token_ids: Callable[[Sequence[str]], torch.Tensor],
                 preprocess: Callable[[bytes], torch.Tensor], device: torch.device, cfg: TrainConfig) -> None:
        self.model = model
        self.token_ids = token_ids
        self.preprocess = preprocess
        self.device = device
        self.cfg = cfg

    def _index(self, triplets: Sequence[Triplet], prompts: Dict[str, int], images: _Images, what: str) -> _Set:
        p, a, b, w = [], [], [], []
        for k, t in enumerate(triplets):
            tid = t.id or f"#{k}"
            if not (math.isfinite(t.weight) and t.weight >= 0):
                raise ValueError(f"{what} triplet {tid!r}: weight {t.weight}: want a finite value >= 0")
            p.append(prompts.setdefault(t.prompt, len(prompts)))
            a.append(images.add(t.preferred, f"{what} triplet {tid!r}: preferred image"))
            b.append(images.add(t.other, f"{what} triplet {tid!r}: other image"))
            w.append(t.weight if t.weight > 0 else 1.0)
        return _Set(torch.tensor(p, dtype=torch.int64), torch.tensor(a, dtype=torch.int64),
                    torch.tensor(b, dtype=torch.int64), torch.tensor(w, dtype=torch.float32))

    def _embed_batch(self, ids: torch.Tensor, images: "_Images", prompt: torch.Tensor, pos: torch.Tensor,
                     neg: torch.Tensor, frozen_text: int, frozen_vision: int) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Normalised (prompt, preferred, other) embeddings of a batch. Each
        distinct prompt and image of the batch is embedded once (as srbench's
        Go encoder does), so identical images get identical embeddings (a
        tie) and a prompt shared by many triplets costs one text pass."""
        up, pinv = torch.unique(prompt, return_inverse=True)
        ui, iinv = torch.unique(torch.cat([pos, neg]), return_inverse=True)
        t = normalize(self.model.encode_text(ids[up].to(self.device), frozen_text))
        px = torch.stack([images.pixels(int(j)) for j in ui]).to(self.device)
        i = normalize(self.model.encode_image(px, frozen_vision))
        b = prompt.shape[0]
        return t[pinv.to(self.device)], i[iinv[:b].to(self.device)], i[iinv[b:].to(self.device)]

    def train(self, train: Sequence[Triplet], validation: Sequence[Triplet], emit: Callable[[Event], None]) -> Result:
        cfg, model = self.cfg, self.model
        if not train:
            raise ValueError("no training triplets")
        torch.manual_seed(cfg.seed)
        trainable = freeze(model, cfg.vision_blocks, cfg.text_blocks)
        c = model.config
        frozen_vision = c.vision_layers - cfg.vision_blocks
        frozen_text = c.text_layers - cfg.text_blocks

        prompts: Dict[str, int] = {}
        images = _Images(self.preprocess, cfg.image_cache)
        tr = self._index(train, prompts, images, "training")
        va = self._index(validation, prompts, images, "validation")
        images.check_all()
        ids = self.token_ids(list(prompts))  # [prompts, ctx]
        n_params = sum(p.numel() for p in model.parameters())
        n_train = sum(p.numel() for n, p in model.named_parameters() if p.requires_grad)
        emit(Event(message=(f"training {len(tr)} triplets ({len(va)} validation; {len(prompts)} prompts, "
                            f"{len(images.data)} images) on {self.device}: {n_train} of {n_params} parameters trainable "
                            f"(last {cfg.vision_blocks} vision / {cfg.text_blocks} text blocks)")))

        model.to(self.device)
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        gen = torch.Generator().manual_seed(cfg.seed)
        steps_per_epoch = (len(tr) + cfg.batch_size - 1) // cfg.batch_size
        total = steps_per_epoch * cfg.epochs
        has_val = len(va) > 0

        @torch.no_grad()
        def evaluate(s: _Set) -> Tuple[float, float]:
            """(weighted mean loss, weighted pairwise accuracy) of s."""
            model.eval()
            loss_sum, acc_sum, w_sum = 0.0, 0.0, 0.0
            for lo in range(0, len(s), cfg.batch_size):
                sl = slice(lo, lo + cfg.batch_size)
                t, pos, neg = self._embed_batch(ids, images, s.prompt[sl], s.pos[sl], s.neg[sl], c.text_layers, c.vision_layers)
                w = s.weight[sl].to(self.device)
                loss_sum += float(triplet_loss(t, pos, neg, cfg.margin, w, cfg.loss)) * float(w.sum())
                correct = ((t * pos).sum(-1) >= (t * neg).sum(-1)).float()
                acc_sum += float((correct * w).sum())
                w_sum += float(w.sum())
            return loss_sum / w_sum, acc_sum / w_sum

        history: List[dict] = []
        t0 = time.monotonic()
        init_loss, init_train_acc = evaluate(tr)
        init_val = evaluate(va)[1] if has_val else 0.0
        history.append({"epoch": 0, "step": 0, "train_loss": init_loss, "train_accuracy": init_train_acc,
                        "val_accuracy": init_val if has_val else None})
        emit(Event(epoch=0, step=0, total_steps=total, loss=init_loss, has_validation=has_val, validation_accuracy=init_val))
        best_val, best_epoch = init_val, 0
        # With validation data the model kept is the best epoch's (epoch 0:
        # the base model), as the adapters trainer's early stopping keeps
        # its best parameters: only the trainable tensors can differ.
        trainable_names = {n for n, p in model.named_parameters() if p.requires_grad}

        def snapshot() -> dict:
            return {n: p.detach().to("cpu", copy=True) for n, p in model.named_parameters() if n in trainable_names}

        best_state = snapshot() if has_val else None
        step = 0
        for epoch in range(1, cfg.epochs + 1):
            model.train()
            order = torch.randperm(len(tr), generator=gen)
            loss_sum, w_sum = 0.0, 0.0
            for lo in range(0, len(tr), cfg.batch_size):
                sel = order[lo : lo + cfg.batch_size]
                t, pos, neg = self._embed_batch(ids, images, tr.prompt[sel], tr.pos[sel], tr.neg[sel], frozen_text, frozen_vision)
                w = tr.weight[sel].to(self.device)
                loss = triplet_loss(t, pos, neg, cfg.margin, w, cfg.loss)
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"epoch {epoch} step {step + 1}: loss is {float(loss)}")
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                step += 1
                loss_sum += float(loss) * float(w.sum())
                w_sum += float(w.sum())
            epoch_loss = loss_sum / w_sum
            val = evaluate(va)[1] if has_val else 0.0
            if has_val and val > best_val:
                best_val, best_epoch = val, epoch
                best_state = snapshot()
            history.append({"epoch": epoch, "step": step, "train_loss": epoch_loss, "val_accuracy": val if has_val else None,
                            "seconds": round(time.monotonic() - t0, 3)})
            emit(Event(epoch=epoch, step=step, total_steps=total, loss=epoch_loss, has_validation=has_val, validation_accuracy=val))
        last_val = history[-1]["val_accuracy"] if has_val else None
        if best_state is not None and best_epoch != cfg.epochs:
            with torch.no_grad():
                params = dict(model.named_parameters())
                for n, v in best_state.items():
                    params[n].copy_(v.to(params[n].device))
        final_loss, final_train_acc = evaluate(tr)
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
        model.to("cpu")
        metrics = {
            "initial_train_loss": init_loss,
            "final_train_loss": final_loss,
            "initial_train_accuracy": init_train_acc,
            "final_train_accuracy": final_train_acc,
            "initial_val_accuracy": init_val if has_val else None,
            "final_val_accuracy": (last_val if cfg.epochs > 0 else init_val) if has_val else None,
            # The epoch whose parameters the model holds: the best one with
            # validation data, else the last.
            "kept_epoch": best_epoch if has_val else cfg.epochs,
            "best_val_accuracy": best_val if has_val else None,
            "best_epoch": best_epoch if has_val else None,
            "epochs": cfg.epochs,
            "steps": step,
            "train_triplets": len(tr),
            "val_triplets": len(va),
            "trainable_parameters": n_train,
            "total_parameters": n_params,
            "seconds": round(time.monotonic() - t0, 3),
        }
        return Result(model=model, config=cfg, trainable=trainable, history=history, metrics=metrics)


def set_threads(n: int) -> None:
    """Sets torch's intra-op threads (n > 0), e.g. from Config.intra_op_threads."""
    if n > 0:
        torch.set_num_threads(n)


def environment() -> dict:
    """Library versions and thread count, for training.json."""
    import PIL
    import torchvision

    return {"torch": torch.__version__, "torchvision": torchvision.__version__, "pillow": PIL.__version__,
            "torch_threads": torch.get_num_threads()}
