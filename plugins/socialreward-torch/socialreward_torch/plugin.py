"""The srbench scorer plugin: Social Reward scored and trained with PyTorch.

Served with the Python SDK (``srbench_plugin.serve``). Configured with a
torch model directory (see :mod:`.modeldir`); options:

* ``device``: ``cpu`` (default) or ``cuda`` / ``cuda:N``; the host's provider
  ``cuda`` also selects CUDA. Asking for CUDA without a CUDA build of torch
  or a GPU fails at Configure with the reason.

``score`` is the cosine of the text and image embeddings (what the Go
socialreward plugin computes for the exported directory). ``train``
fine-tunes the last blocks (Social Reward's recipe, :mod:`.trainer`) and
writes a model directory both this plugin and the Go socialreward plugin
load (:mod:`.export`).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sys
from typing import Any, Callable, List

import torch

from . import __version__, export, modeldir
from .engine import Engine, ItemInput, resolve_device
from .tokenizer import CLIPTokenizer
from .trainer import Event, TrainConfig, Trainer, Triplet, environment, set_threads

NAME = "socialreward-torch"
FORMULA = "cos(text, image)"


def import_sdk() -> Any:
    """Imports srbench_plugin, from harness/scorer/python of this checkout
    when it is not installed."""
    try:
        import srbench_plugin  # noqa: F401
    except ImportError:
        here = os.path.dirname(os.path.abspath(__file__))
        sdk = os.path.join(here, "..", "..", "..", "harness", "scorer", "python")
        sys.path.insert(0, os.path.normpath(sdk))
        import srbench_plugin  # noqa: F401
    return sys.modules["srbench_plugin"]


class TorchSocialReward:
    """The scorer object the SDK serves (one per Configure)."""

    def __init__(self, config: Any) -> None:
        self.sp = import_sdk()
        config.check_options("device")
        self.device = resolve_device(config.options.get("device", ""), config.provider)
        set_threads(config.intra_op_threads)
        self.dir = modeldir.load(config.model_dir)
        self.fingerprint = modeldir.fingerprint(self.dir.path)
        self.tokenizer = CLIPTokenizer(self.dir.vocab_path)
        self.engine = Engine(self.dir.model, self.tokenizer, self.device, config.batch_size)
        self.max_image_bytes = config.max_image_bytes

    # --- the contract -------------------------------------------------------

    def close(self) -> None:
        """Releases the model (and CUDA's cached memory)."""
        self.engine.model.to("cpu")
        if self.device.type == "cuda":
            torch.cuda.empty_cache()

    def describe(self, req: Any) -> Any:
        c = self.dir.model.config
        details = {
            "architecture": (f"OpenAI CLIP ViT: image {c.image_resolution}px patch {c.vision_patch_size}, "
                             f"vision {c.vision_layers}x{c.vision_width} ({c.vision_heads} heads), "
                             f"text {c.text_layers}x{c.text_width} ({c.text_heads} heads), embed {c.embed_dim}, "
                             f"vocab {c.vocab_size}"),
            "torch_threads": str(torch.get_num_threads()),
        }
        if self.dir.manifest.description:
            details["model_description"] = self.dir.manifest.description
        return self.sp.Description(
            name=NAME,
            version=__version__,
            kind=modeldir.KIND,
            variant=modeldir.VARIANT,
            fingerprint=self.fingerprint,
            capabilities=["score", "train"],
            preferred_batch_size=self.engine.batch_size,
            runtime=f"torch {torch.__version__}",
            provider="cuda" if self.device.type == "cuda" else "cpu",
            preprocessing=self.engine.preprocess.describe(),
            tokenizer=f"openai clip BPE ({os.path.basename(self.dir.vocab_path)}; clip.tokenize semantics, ftfy replaced by NFC)",
            formula=FORMULA,
            model_dir=self.dir.path,
            details=details,
        )

    def score(self, req: Any) -> Any:
        inputs: List[ItemInput] = []
        for it in req.items:
            try:
                inputs.append(ItemInput(prompt=it.prompt, image=it.read_image(self.max_image_bytes)))
            except Exception as e:  # unreadable file, over the byte limit
                inputs.append(ItemInput(prompt=it.prompt, image=None, error=f"item {it.id!r}: {e}"))
        results = self.engine.score(inputs)
        return self.sp.ScoreResponse(results=[self.sp.Result(score=s, error=err) for s, err in results])

    def train(self, req: Any, emit: Callable[[Any], None]) -> None:
        cfg = TrainConfig.from_json(req.config_json or "")
        if not req.out_dir:
            raise ValueError("no output directory for the trained model")
        out = os.path.abspath(req.out_dir)
        if os.path.exists(out) and os.path.samefile(out, self.dir.path):
            raise ValueError(f"out_dir {out} is the configured model directory; write the trained model elsewhere")
        device = resolve_device(cfg.device) if cfg.device else self.device

        def triplets(raw: List[Any], what: str) -> List[Triplet]:
            out_t = []
            for k, t in enumerate(raw):
                tid = t.id or f"#{k}"
                try:
                    pref, other = t.preferred.read(self.max_image_bytes), t.other.read(self.max_image_bytes)
                except Exception as e:
                    raise ValueError(f"{what} triplet {tid!r}: {e}") from e
                out_t.append(Triplet(id=t.id, prompt=t.prompt, preferred=pref, other=other, weight=t.weight))
            return out_t

        def send(e: Event) -> None:
            emit(self.sp.TrainEvent(epoch=e.epoch, step=e.step, total_steps=e.total_steps, loss=e.loss,
                                    has_validation=e.has_validation, validation_accuracy=e.validation_accuracy,
                                    message=e.message))

        tr, va = triplets(req.train, "training"), triplets(req.validation, "validation")
        final = run_training(self.dir, self.fingerprint, self.tokenizer, self.engine.preprocess, device, cfg, tr, va, out, send)
        emit(self.sp.TrainEvent(epoch=final["epoch"], step=final["step"], total_steps=final["step"],
                                loss=final["loss"], has_validation=final["has_validation"],
                                validation_accuracy=final["validation_accuracy"], message="exported " + out,
                                checkpoint_dir=out, metrics_json=final["metrics_json"]))


def data_hash(triplets: List[Triplet]) -> str:
    """sha256 over the triplets' prompts, image hashes and weights, in order."""
    h = hashlib.sha256()
    for t in triplets:
        h.update(json.dumps([t.prompt, hashlib.sha256(t.preferred).hexdigest(), hashlib.sha256(t.other).hexdigest(),
                             t.weight]).encode() + b"\n")
    return "sha256:" + h.hexdigest()


def run_training(src: modeldir.TorchModelDir, base_fingerprint: str, tokenizer: CLIPTokenizer, preprocess: Callable,
                 device: torch.device, cfg: TrainConfig, train: List[Triplet], validation: List[Triplet], out_dir: str,
                 emit: Callable[[Event], None]) -> dict:
    """Trains a copy of src's model, writes the model directory out_dir and
    returns the last event's fields (with metrics_json). Shared by the
    plugin's train and the CLI's train command."""
    model = copy.deepcopy(src.model)
    res = Trainer(model, tokenizer, preprocess, device, cfg).train(train, validation, emit)
    c = res.model.config
    description = (f"Social Reward fine-tuned with PyTorch (last {cfg.vision_blocks} vision / {cfg.text_blocks} text blocks, "
                   f"{cfg.loss} loss, {cfg.epochs} epochs) from {base_fingerprint}")
    record = {
        "trainer": NAME,
        "version": __version__,
        "config": cfg.to_dict(),
        "base_model_fingerprint": base_fingerprint,
        "architecture": c.to_dict(),
        "trainable": res.trainable,
        "data": {"train_triplets": len(train), "validation_triplets": len(validation),
                 "train_sha256": data_hash(train), "validation_sha256": data_hash(validation)},
        # No timings (nor paths): the same run gives the same directory,
        # byte for byte, and so the same fingerprint.
        "history": [{k: v for k, v in h.items() if k != "seconds"} for h in res.history],
        "metrics": {k: v for k, v in res.metrics.items() if k != "seconds"},
        # The fields `srbench ablate` reads, named as the adapters
        # trainer's training.json names them (harness/ablate summary).
        "result": {
            "train_size": len(train),
            "steps": res.metrics.get("steps", 0),
            "initial_val_accuracy": res.metrics.get("initial_val_accuracy") if validation else None,
            "best_val_accuracy": res.metrics.get("best_val_accuracy", 0.0) if validation else 0.0,
            "best_epoch": res.metrics.get("best_epoch", 0),
            "history": [{"epoch": h["epoch"], "val_accuracy": h.get("val_accuracy", 0.0), "train_loss": h.get("train_loss")}
                        for h in res.history if h["epoch"] > 0],
        },
        "environment": environment(),
    }
    export.write_model_dir(res.model, out_dir, src.vocab_path, description, training=record)
    last = res.history[-1]
    has_val = res.metrics["val_triplets"] > 0
    return {
        "epoch": last["epoch"],
        "step": last["step"],
        "loss": res.metrics["final_train_loss"],
        "has_validation": has_val,
        "validation_accuracy": res.metrics["final_val_accuracy"] if has_val else 0.0,
        "metrics_json": json.dumps({**res.metrics, "history": res.history}),
    }


def serve() -> None:
    """Serves the plugin (the host starts it; see harness/scorer/python)."""
    sp = import_sdk()
    sp.serve(TorchSocialReward)
