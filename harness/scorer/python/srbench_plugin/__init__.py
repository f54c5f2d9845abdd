"""srbench_plugin: write an srbench scorer plugin in Python.

A plugin is a program srbench launches as a subprocess (hashicorp/go-plugin
over gRPC). With this package it is a class and one call::

    import srbench_plugin as sp

    class LengthScorer:
        def __init__(self, cfg: sp.Config) -> None:
            cfg.check_options()              # refuse options you don't know
            self.dir = cfg.model_dir

        def describe(self, req: sp.DescribeRequest) -> sp.Description:
            return sp.Description(name="length", version="0.1.0", kind="length",
                                  fingerprint="none", formula="len(prompt)")

        def score(self, req: sp.ScoreRequest) -> sp.ScoreResponse:
            return sp.ScoreResponse([sp.Result(score=len(it.prompt)) for it in req.items])

    if __name__ == "__main__":
        sp.serve(LengthScorer)

The rules (the same as for Go plugins, harness/scorer): one Result per Item,
in order; a bad item is a Result with ``error`` set, and the rest of the
batch still scores; an exception from score() fails the whole call;
non-finite scores become per-item errors; score() may run concurrently in
several threads. An optional ``train(req, emit)`` makes the plugin
trainable, an optional ``close()`` is called when the scorer is replaced.

Log with the logging module (records go to the host's log as hclog JSON,
warnings and errors shown by default); print() output is streamed to the
host, which discards it. docs/python-plugins.md is the tutorial.
"""

import os as _os
import sys as _sys

from . import _log
from ._serve import serve
from .contract import (
    CAPABILITY_SCORE,
    CAPABILITY_TRAIN,
    CORE_PROTOCOL_VERSION,
    DEFAULT_MAX_IMAGE_BYTES,
    MAGIC_COOKIE_KEY,
    MAGIC_COOKIE_VALUE,
    MAX_MESSAGE_BYTES,
    PROTOCOL_VERSION,
    Config,
    DescribeRequest,
    Description,
    Emit,
    Factory,
    HostGoneError,
    ImageRef,
    Item,
    Result,
    Scorer,
    ScoreRequest,
    ScoreResponse,
    TrainEvent,
    TrainRequest,
    Triplet,
    read_limited,
)

__version__ = "1.0.0"

if _os.environ.get(MAGIC_COOKIE_KEY) == MAGIC_COOKIE_VALUE and _sys.stdout is _sys.__stdout__:
    # Launched by a host, before serve(): the host reads the plugin's first
    # stdout line as its handshake, so anything printed until then (by a
    # module the plugin imports after this package) goes to stderr instead,
    # and an exception that kills the plugin before it serves reaches the
    # host's log as an error rather than as debug-level text.
    _sys.stdout = _sys.stderr
    _log.early_crash_report(_sys.stderr)

__all__ = [
    "CAPABILITY_SCORE",
    "CAPABILITY_TRAIN",
    "CORE_PROTOCOL_VERSION",
    "DEFAULT_MAX_IMAGE_BYTES",
    "MAGIC_COOKIE_KEY",
    "MAGIC_COOKIE_VALUE",
    "MAX_MESSAGE_BYTES",
    "PROTOCOL_VERSION",
    "Config",
    "DescribeRequest",
    "Description",
    "Emit",
    "Factory",
    "HostGoneError",
    "ImageRef",
    "Item",
    "Result",
    "ScoreRequest",
    "ScoreResponse",
    "Scorer",
    "TrainEvent",
    "TrainRequest",
    "Triplet",
    "read_limited",
    "serve",
]
