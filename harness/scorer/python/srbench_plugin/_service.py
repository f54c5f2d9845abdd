"""The srbench contract's gRPC services (Scorer, Trainer) over a scorer object.

The rules are those of the Go shim (harness/scorer/grpc.go, train.go):

- Configure calls the factory; an exception refuses the configuration
  (INVALID_ARGUMENT). A second Configure replaces the scorer and calls the
  old one's close(), if it has one.
- Describe and Score before Configure: FAILED_PRECONDITION.
- Score: exactly one Result per item, in order, or the call fails
  (INTERNAL); an exception in score() fails the call (INTERNAL, with its
  message); a non-finite score becomes that item's error.
- Describe: the protocol version is filled in; empty capabilities become
  ["score"], plus "train" when the scorer has a train method.
- TrainTriplets: UNIMPLEMENTED when the scorer has no train method; the
  whole input stream is received and checked (start first, counts in end)
  before train(req, emit) is called once; its events are streamed back.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
from typing import Any, Callable, Iterable, Iterator

import grpc

from ._pb import scorer_pb2, scorer_pb2_grpc
from .contract import (
    CAPABILITY_SCORE,
    CAPABILITY_TRAIN,
    PROTOCOL_VERSION,
    Config,
    DescribeRequest,
    Description,
    HostGoneError,
    ImageRef,
    Item,
    Result,
    ScoreRequest,
    ScoreResponse,
    TrainEvent,
    TrainRequest,
    Triplet,
)

log = logging.getLogger("srbench_plugin")

NOT_CONFIGURED = "scorer is not configured: the host must call Configure with a model directory first"
NOT_TRAINABLE = "this scorer cannot be trained (its plugin has no Trainer)"


class RuleError(Exception):
    """A broken contract rule: the call fails with ``code`` and ``message``."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def error_message(e: BaseException) -> str:
    """The message a status carries for an exception: its text, with the type when that says more."""
    text = str(e)
    if type(e) in (Exception, ValueError, RuntimeError, OSError) and text:
        return text
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


# ---- conversions -------------------------------------------------------------


def config_from_pb(req: scorer_pb2.ConfigureRequest) -> Config:
    """The Config of a ConfigureRequest."""
    return Config(model_dir=req.model_dir, intra_op_threads=req.intra_op_threads, batch_size=req.batch_size,
                  provider=req.provider, options=dict(req.options), max_image_bytes=req.max_image_bytes,
                  decode_memory_bytes=req.decode_memory_bytes)


def item_from_pb(x: scorer_pb2.Item) -> Item:
    """The Item of a protobuf Item."""
    which = x.WhichOneof("image")
    return Item(id=x.id, prompt=x.prompt, image_path=x.image_path if which == "image_path" else "",
                image_bytes=x.image_bytes if which == "image_bytes" else None)


def item_to_pb(it: Item) -> scorer_pb2.Item:
    """The protobuf Item of an Item (for clients and tests)."""
    if it.image_bytes is not None:
        return scorer_pb2.Item(id=it.id, prompt=it.prompt, image_bytes=it.image_bytes)
    return scorer_pb2.Item(id=it.id, prompt=it.prompt, image_path=it.image_path)


def _format_float(v: float) -> str:
    """A float the way Go's %v prints it (NaN, +Inf, -Inf)."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


def result_to_pb(r: Result, index: int) -> scorer_pb2.Result:
    """A Result as protobuf, a non-finite score turned into a per-item error."""
    if not isinstance(r, Result):
        raise RuleError(grpc.StatusCode.INTERNAL,
                        f"score() result {index} is a {type(r).__name__}, not a srbench_plugin.Result")
    if r.error:
        return scorer_pb2.Result(error=str(r.error))
    try:
        v = float(r.score)
    except (TypeError, ValueError):
        raise RuleError(grpc.StatusCode.INTERNAL, f"score() result {index}: score {r.score!r} is not a number") from None
    if not math.isfinite(v):
        return scorer_pb2.Result(error=f"scorer produced a non-finite score ({_format_float(v)})")
    return scorer_pb2.Result(score=v)


def response_to_pb(resp: Any, n_items: int) -> scorer_pb2.ScoreResponse:
    """Check a score() answer against the rules and convert it."""
    if not isinstance(resp, ScoreResponse):
        raise RuleError(grpc.StatusCode.INTERNAL,
                        f"score() returned a {type(resp).__name__}, not a srbench_plugin.ScoreResponse")
    if len(resp.results) != n_items:
        raise RuleError(grpc.StatusCode.INTERNAL, f"scorer returned {len(resp.results)} results for {n_items} items")
    return scorer_pb2.ScoreResponse(results=[result_to_pb(r, i) for i, r in enumerate(resp.results)])


def trainable(scorer: object) -> bool:
    """Whether a scorer object offers train(req, emit)."""
    return callable(getattr(scorer, "train", None))


def description_to_pb(d: Any, scorer: object) -> scorer_pb2.DescribeResponse:
    """A describe() answer as protobuf, with the SDK's fields filled in."""
    if not isinstance(d, Description):
        raise RuleError(grpc.StatusCode.INTERNAL,
                        f"describe() returned a {type(d).__name__}, not a srbench_plugin.Description")
    caps = [str(c) for c in d.capabilities]
    if not caps:
        caps = [CAPABILITY_SCORE]
        if trainable(scorer):
            caps.append(CAPABILITY_TRAIN)
    return scorer_pb2.DescribeResponse(
        name=d.name, version=d.version, kind=d.kind, variant=d.variant, fingerprint=d.fingerprint,
        capabilities=caps, preferred_batch_size=int(d.preferred_batch_size), runtime=d.runtime,
        provider=d.provider, preprocessing=d.preprocessing, tokenizer=d.tokenizer, formula=d.formula,
        model_dir=d.model_dir, protocol_version=PROTOCOL_VERSION,
        details={str(k): str(v) for k, v in d.details.items()})


def _image_from_pb(x: scorer_pb2.Image) -> ImageRef:
    which = x.WhichOneof("source")
    return ImageRef(path=x.path if which == "path" else "", data=x.data if which == "data" else None)


def triplet_from_pb(t: scorer_pb2.Triplet) -> Triplet:
    """The Triplet of a protobuf Triplet (weight 0 means 1)."""
    return Triplet(id=t.id, prompt=t.prompt, preferred=_image_from_pb(t.preferred), other=_image_from_pb(t.other),
                   weight=t.weight if t.weight != 0 else 1.0)


def event_to_pb(e: TrainEvent) -> scorer_pb2.TrainEvent:
    """A TrainEvent as protobuf."""
    return scorer_pb2.TrainEvent(
        epoch=int(e.epoch), step=int(e.step), total_steps=int(e.total_steps), loss=float(e.loss),
        has_validation=bool(e.has_validation), validation_accuracy=float(e.validation_accuracy),
        message=e.message, checkpoint_dir=e.checkpoint_dir, metrics_json=e.metrics_json)


def receive_training(stream: Iterable[scorer_pb2.TrainInput]) -> TrainRequest:
    """Read a whole TrainTriplets input stream: start, triplets, end.

    Raises RuleError (INVALID_ARGUMENT) when the stream is not whole: no
    start first, a second start, an empty message, or an end whose counts
    differ from the triplets that arrived (or no end at all).
    """

    def bad(msg: str) -> RuleError:
        return RuleError(grpc.StatusCode.INVALID_ARGUMENT, "training stream: " + msg)

    req = TrainRequest()
    started = False
    for x in stream:
        kind = x.WhichOneof("kind")
        if kind == "start":
            if started:
                raise bad("a second start message")
            started = True
            req.config_json, req.out_dir = x.start.config_json, x.start.out_dir
            continue
        if not started:
            raise bad("the first message must be start")
        if kind == "train":
            req.train.append(triplet_from_pb(x.train))
        elif kind == "validation":
            req.validation.append(triplet_from_pb(x.validation))
        elif kind == "end":
            if x.end.train_count != len(req.train) or x.end.validation_count != len(req.validation):
                raise bad(f"end says {x.end.train_count} training and {x.end.validation_count} validation triplets, "
                          f"{len(req.train)} and {len(req.validation)} arrived")
            return req
        else:
            raise bad("an empty message")
    raise bad(f"ended without its end message ({len(req.train)} training and "
              f"{len(req.validation)} validation triplets received)")


# ---- services ----------------------------------------------------------------


class ScorerHolder:
    """The configured scorer, replaced by each Configure."""

    def __init__(self, factory: Callable[[Config], Any]) -> None:
        self.factory = factory
        self._lock = threading.Lock()
        self._scorer: Any = None

    def get(self) -> Any:
        """The current scorer, or None before Configure."""
        with self._lock:
            return self._scorer

    def replace(self, scorer: Any) -> Any:
        """Install a new scorer and return the old one."""
        with self._lock:
            old, self._scorer = self._scorer, scorer
            return old

    def current(self, context: grpc.ServicerContext) -> Any:
        """The current scorer; fails the call with FAILED_PRECONDITION before Configure."""
        sc = self.get()
        if sc is None:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, NOT_CONFIGURED)
        return sc


def close_scorer(scorer: Any) -> None:
    """Call a scorer's close(), if it has one, logging (not raising) its failure."""
    close = getattr(scorer, "close", None)
    if callable(close):
        try:
            close()
        except Exception as e:
            log.warning("closing the scorer failed: %s", error_message(e), exc_info=True)


class ScorerService(scorer_pb2_grpc.ScorerServicer):
    """srbench.scorer.v1.Scorer over a ScorerHolder."""

    def __init__(self, holder: ScorerHolder) -> None:
        self._holder = holder

    def Configure(self, request: scorer_pb2.ConfigureRequest,
                  context: grpc.ServicerContext) -> scorer_pb2.ConfigureResponse:
        """Build a scorer with the factory and make it current."""
        cfg = config_from_pb(request)
        failure = ""
        sc: Any = None
        try:
            sc = self._holder.factory(cfg)
        except Exception as e:
            log.debug("the factory refused the configuration", exc_info=True)
            failure = error_message(e)
        if failure:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, failure)
        if sc is None:
            context.abort(grpc.StatusCode.INTERNAL, "scorer factory returned None without raising")
        old = self._holder.replace(sc)
        if old is not None and old is not sc:
            close_scorer(old)
        return scorer_pb2.ConfigureResponse()

    def Describe(self, request: scorer_pb2.DescribeRequest,
                 context: grpc.ServicerContext) -> scorer_pb2.DescribeResponse:
        """Ask the scorer what it is."""
        sc = self._holder.current(context)
        code, failure, out = grpc.StatusCode.OK, "", None
        try:
            out = description_to_pb(sc.describe(DescribeRequest()), sc)
        except RuleError as e:
            code, failure = e.code, e.message
        except Exception as e:
            log.error("describe() failed: %s", error_message(e), exc_info=True)
            code, failure = grpc.StatusCode.INTERNAL, error_message(e)
        if failure:
            context.abort(code, failure)
        return out

    def Score(self, request: scorer_pb2.ScoreRequest, context: grpc.ServicerContext) -> scorer_pb2.ScoreResponse:
        """Score a batch under the contract's rules."""
        sc = self._holder.current(context)
        items = [item_from_pb(x) for x in request.items]
        code, failure, out = grpc.StatusCode.OK, "", None
        try:
            out = response_to_pb(sc.score(ScoreRequest(items=items)), len(items))
        except RuleError as e:
            code, failure = e.code, e.message
        except Exception as e:
            log.error("score() failed: %s", error_message(e), exc_info=True)
            code, failure = grpc.StatusCode.INTERNAL, error_message(e)
        if failure:
            context.abort(code, failure)
        return out


_DONE = object()


class TrainerService(scorer_pb2_grpc.TrainerServicer):
    """srbench.scorer.v1.Trainer over a ScorerHolder."""

    def __init__(self, holder: ScorerHolder) -> None:
        self._holder = holder

    def TrainTriplets(self, request_iterator: Iterator[scorer_pb2.TrainInput],
                      context: grpc.ServicerContext) -> Iterator[scorer_pb2.TrainEvent]:
        """Receive the triplets, run train(req, emit) in a thread, stream its events."""
        sc = self._holder.current(context)
        if not trainable(sc):
            context.abort(grpc.StatusCode.UNIMPLEMENTED, NOT_TRAINABLE)
        code, failure = grpc.StatusCode.OK, ""
        req = TrainRequest()
        try:
            req = receive_training(request_iterator)
        except RuleError as e:
            code, failure = e.code, e.message
        except Exception as e:  # the host cancelled or the connection broke while sending
            if not context.is_active():
                return
            code, failure = grpc.StatusCode.INTERNAL, "receiving the triplets: " + error_message(e)
        if failure:
            context.abort(code, failure)

        events: queue.Queue[Any] = queue.Queue()
        gone = threading.Event()

        def on_done() -> None:
            gone.set()
            events.put(_DONE)

        context.add_callback(on_done)

        def emit(e: TrainEvent) -> None:
            if gone.is_set():
                raise HostGoneError("the host went away; stop training")
            if not isinstance(e, TrainEvent):
                raise TypeError(f"emit() takes a srbench_plugin.TrainEvent, not a {type(e).__name__}")
            events.put(event_to_pb(e))

        outcome: list[BaseException | None] = []

        def run() -> None:
            try:
                sc.train(req, emit)
                outcome.append(None)
            except BaseException as e:  # reported to the host, not raised in this thread
                outcome.append(e)
            events.put(_DONE)

        threading.Thread(target=run, name="srbench-train", daemon=True).start()
        while True:
            x = events.get()
            if x is _DONE:
                break
            yield x
        if gone.is_set() and not outcome:
            return  # the host went away; train() stops at its next emit
        err = outcome[0] if outcome else None
        if err is not None:
            if isinstance(err, HostGoneError):
                return
            log.error("train() failed: %s", error_message(err), exc_info=(type(err), err, err.__traceback__))
            context.abort(grpc.StatusCode.INTERNAL, error_message(err))


def add_services(server: grpc.Server, holder: ScorerHolder) -> None:
    """Register the contract's services on ``server``."""
    scorer_pb2_grpc.add_ScorerServicer_to_server(ScorerService(holder), server)
    scorer_pb2_grpc.add_TrainerServicer_to_server(TrainerService(holder), server)
