"""The srbench scorer contract as plain Python types.

These dataclasses mirror the messages of
``harness/scorer/proto/srbench/scorer/v1/scorer.proto`` and the Go types of
``harness/scorer``. A scorer plugin sees only them; the SDK converts to and
from the generated protobuf messages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Protocol, runtime_checkable

#: The contract's major version (Go: scorer.ProtocolVersion). The host refuses
#: a plugin that reports another one in its handshake.
PROTOCOL_VERSION = 1

#: go-plugin's own protocol version, the first field of the handshake line.
CORE_PROTOCOL_VERSION = 1

#: The magic cookie (Go: scorer.Handshake()). It only keeps people from
#: running a plugin by hand; it is no security measure.
MAGIC_COOKIE_KEY = "SRBENCH_SCORER_PLUGIN"
MAGIC_COOKIE_VALUE = "c4f1b0a2-srbench-scorer"

#: The largest gRPC message either way (Go: scorer.MaxMessageBytes): a batch
#: of encoded images is far larger than gRPC's 4 MiB default.
MAX_MESSAGE_BYTES = 512 << 20

#: The image size limit used when Config.max_image_bytes is 0, as in
#: srbench's Go plugins (imageproc.DefaultMaxFileBytes).
DEFAULT_MAX_IMAGE_BYTES = 64 << 20

#: Capability names a plugin reports in Description.capabilities.
CAPABILITY_SCORE = "score"
CAPABILITY_TRAIN = "train"


@dataclass
class Config:
    """What the host tells a plugin when it loads a model (ConfigureRequest).

    Zero values mean "the plugin's default" for every setting.
    """

    #: Directory with the model files (docs/models.md); absolute.
    model_dir: str
    #: Intra-op thread count for the model runtime; 0 = its default.
    intra_op_threads: int = 0
    #: The largest batch to run at once; 0 = the plugin's preference.
    batch_size: int = 0
    #: Execution provider: "cpu" (also "") or "cuda".
    provider: str = ""
    #: Scorer-specific options; unknown keys must be refused (check_options).
    options: dict[str, str] = field(default_factory=dict)
    #: The largest image file (or embedded image) to read, in bytes; 0 = default.
    max_image_bytes: int = 0
    #: Memory the plugin may spend decoding images at once, in bytes; 0 = default.
    decode_memory_bytes: int = 0

    def check_options(self, *known: str) -> None:
        """Raise ValueError naming every option key that is not in ``known``.

        Call it first in your factory, so that a typo in a benchmark spec
        cannot silently run the default.
        """
        bad = sorted(k for k in self.options if k not in known)
        if not bad:
            return
        takes = ", ".join(sorted(known)) if known else "none (it takes no options)"
        raise ValueError(f"unknown option(s) {', '.join(bad)}; this scorer knows: {takes}")


def _limit(max_bytes: int) -> int:
    """The effective size limit: the default for 0, none (-1) when negative."""
    if max_bytes == 0:
        return DEFAULT_MAX_IMAGE_BYTES
    return -1 if max_bytes < 0 else max_bytes


def read_limited(path: str = "", data: bytes | None = None, max_bytes: int = 0) -> bytes:
    """Return the encoded image ``data`` or the contents of the file ``path``.

    ``data`` wins when both are given. ``max_bytes`` is the size limit:
    0 means DEFAULT_MAX_IMAGE_BYTES and a negative value means none. Raises
    ValueError for an image over the limit or when there is no image, and
    OSError when the file cannot be read.
    """
    limit = _limit(max_bytes)
    if data is not None:
        if limit >= 0 and len(data) > limit:
            raise ValueError(f"embedded image is {len(data)} bytes, more than the limit of {limit} bytes (max_image_bytes)")
        return data
    if not path:
        raise ValueError("no image: neither a path nor bytes")
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if limit >= 0 and size > limit:
            raise ValueError(f"image file {path} is {size} bytes, more than the limit of {limit} bytes (max_image_bytes)")
        # Read at most one byte past the limit: a file that grows while it
        # is read is caught too.
        out = f.read(limit + 1) if limit >= 0 else f.read()
    if limit >= 0 and len(out) > limit:
        raise ValueError(f"image file {path} is more than the limit of {limit} bytes (max_image_bytes)")
    return out


@dataclass
class Item:
    """One (prompt, image) input to score: exactly one of image_path and image_bytes is set."""

    #: The caller's id, for diagnostics.
    id: str
    prompt: str
    #: Absolute path readable by the plugin.
    image_path: str = ""
    #: The encoded image file.
    image_bytes: bytes | None = None

    def read_image(self, max_bytes: int = 0) -> bytes:
        """Return the encoded image (reading image_path if the bytes are not inline).

        ``max_bytes`` is the size limit, usually Config.max_image_bytes:
        0 means DEFAULT_MAX_IMAGE_BYTES, negative means none. Raises
        ValueError (too large, no image) or OSError (unreadable file); a
        scorer turns either into that item's Result(error=...).
        """
        return read_limited(self.image_path, self.image_bytes, max_bytes)


@dataclass
class ScoreRequest:
    """A batch of items to score."""

    items: list[Item] = field(default_factory=list)


@dataclass
class Result:
    """The score of one item, or why it could not be scored.

    A non-empty ``error`` means the item failed; its score is then ignored.
    """

    score: float = 0.0
    error: str = ""

    @property
    def failed(self) -> bool:
        """Whether the item failed."""
        return self.error != ""


@dataclass
class ScoreResponse:
    """Exactly one Result per item of the request, in order."""

    results: list[Result] = field(default_factory=list)


@dataclass
class DescribeRequest:
    """The argument of describe(); empty today, a type so that fields can be added."""


@dataclass
class Description:
    """What a scorer is and exactly which model it runs; it goes into every report.

    The SDK fills in the protocol version, and the capabilities when left
    empty (["score"], plus "train" when the scorer has a train method).
    """

    name: str = ""
    version: str = ""
    kind: str = ""
    variant: str = ""
    #: "sha256:<hex>" over the model files; see docs/python-plugins.md for
    #: scorers without model files.
    fingerprint: str = ""
    capabilities: list[str] = field(default_factory=list)
    preferred_batch_size: int = 0
    #: e.g. "onnxruntime 1.24.1" or "python 3.11.2, numpy 1.24.2".
    runtime: str = ""
    #: The execution provider actually in use.
    provider: str = ""
    preprocessing: str = ""
    tokenizer: str = ""
    #: How the score is computed, human readable.
    formula: str = ""
    model_dir: str = ""
    details: dict[str, str] = field(default_factory=dict)


@dataclass
class ImageRef:
    """An image of a triplet: a path readable by the plugin, or the encoded bytes."""

    path: str = ""
    data: bytes | None = None

    def read(self, max_bytes: int = 0) -> bytes:
        """Return the encoded image; ``data`` wins over ``path``.

        ``max_bytes`` as in Item.read_image (0 = DEFAULT_MAX_IMAGE_BYTES).
        """
        return read_limited(self.path, self.data, max_bytes)


@dataclass
class Triplet:
    """A prompt with the image people preferred and the other one."""

    #: The dataset's pair id, for diagnostics.
    id: str
    prompt: str
    preferred: ImageRef
    other: ImageRef
    #: The triplet's weight (the wire's 0 arrives here as 1.0).
    weight: float = 1.0


@dataclass
class TrainRequest:
    """Everything the host streamed for one training run, received whole."""

    #: Trainer-specific configuration as JSON; "" = the trainer's defaults.
    #: Unknown keys are an error.
    config_json: str = ""
    #: Directory to write the trained model directory into (create it).
    out_dir: str = ""
    train: list[Triplet] = field(default_factory=list)
    #: May be empty.
    validation: list[Triplet] = field(default_factory=list)


@dataclass
class TrainEvent:
    """A training progress report.

    The last event of a successful run names ``checkpoint_dir`` (the trained
    model directory) and may carry ``metrics_json``.
    """

    epoch: int = 0
    step: int = 0
    total_steps: int = 0
    loss: float = 0.0
    has_validation: bool = False
    validation_accuracy: float = 0.0
    message: str = ""
    checkpoint_dir: str = ""
    metrics_json: str = ""


class HostGoneError(RuntimeError):
    """Raised by a training run's emit() once the host has gone away.

    Let it propagate out of train(): nobody is listening any more.
    """


#: The callback train() reports progress with.
Emit = Callable[[TrainEvent], None]


@runtime_checkable
class Scorer(Protocol):
    """What a scorer object provides (a Protocol: no need to inherit from it).

    score() may be called concurrently from several threads. Optional
    methods: ``train(req, emit)`` makes the plugin trainable, and
    ``close()`` is called when a second Configure replaces the scorer (not
    at exit: the process just ends, as a Go plugin does).
    """

    def describe(self, req: DescribeRequest) -> Description:
        """Say what the scorer is and which model it runs."""
        ...

    def score(self, req: ScoreRequest) -> ScoreResponse:
        """Score a batch: one Result per item, in order; per-item failures in Result.error."""
        ...


#: The factory serve() calls on Configure; raising (e.g. ValueError from
#: Config.check_options) refuses the configuration.
Factory = Callable[[Config], Scorer]
