"""The services go-plugin's host expects of every gRPC plugin, besides the contract.

- grpc.health.v1.Health: "plugin" is SERVING (go-plugin's Client.Ping).
- plugin.GRPCController.Shutdown: the host's Kill asks the plugin to exit;
  it must exit (status 0) within 2 s, or the host logs "plugin failed to
  exit gracefully" and kills it.
- plugin.GRPCStdio.StreamStdio: the plugin's stdout and stderr, streamed to
  the host (which connects right after the handshake; without the service
  it logs a warning).
- plugin.GRPCBroker.StartStream: brokered extra connections. srbench uses
  none; the stream is accepted and held open, and requests are ignored.

As in go-plugin's Go server, sys.stdout and sys.stderr are redirected into
the stdio stream after the handshake; log records go to the real stderr as
hclog JSON (see _log).
"""

from __future__ import annotations

import collections
import io
import logging
import threading
from typing import Callable, Iterator

import grpc

from ._pb import (
    grpc_broker_pb2,
    grpc_broker_pb2_grpc,
    grpc_controller_pb2,
    grpc_controller_pb2_grpc,
    grpc_stdio_pb2,
    grpc_stdio_pb2_grpc,
    health_pb2,
    health_pb2_grpc,
)

#: The service name whose health go-plugin checks (Go: plugin.GRPCServiceName).
HEALTH_SERVICE = "plugin"

log = logging.getLogger("srbench_plugin")


class StreamRegistry:
    """The open long-lived streams (broker, health watch), cancelled at shutdown.

    (The stdio stream ends by itself when its hub closes.)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: set[grpc.ServicerContext] = set()
        self._closed = False

    def add(self, context: grpc.ServicerContext) -> bool:
        """Register an open stream; False when shutting down (the caller should end it)."""
        with self._lock:
            if self._closed:
                return False
            self._open.add(context)
        context.add_callback(lambda: self._discard(context))
        return True

    def _discard(self, context: grpc.ServicerContext) -> None:
        with self._lock:
            self._open.discard(context)

    def cancel_all(self) -> None:
        """Cancel every open stream and refuse new ones."""
        with self._lock:
            self._closed = True
            ctxs = list(self._open)
        for c in ctxs:
            c.cancel()


class StdioHub:
    """Buffers the plugin's stdout/stderr writes until the host's StreamStdio takes them.

    The buffer holds at most ``limit`` bytes; writes beyond it are dropped
    (counted) rather than blocking the plugin when no host reads them.
    """

    STDOUT = grpc_stdio_pb2.StdioData.STDOUT
    STDERR = grpc_stdio_pb2.StdioData.STDERR

    def __init__(self, limit: int = 1 << 20) -> None:
        self._cond = threading.Condition()
        self._chunks: collections.deque[tuple[int, bytes]] = collections.deque()
        self._size = 0
        self._limit = limit
        self._closed = False
        self.dropped = 0

    def write(self, channel: int, data: bytes) -> None:
        """Queue bytes written to a channel (STDOUT or STDERR)."""
        if not data:
            return
        with self._cond:
            if self._closed or self._size + len(data) > self._limit:
                self.dropped += len(data)
                return
            self._chunks.append((channel, bytes(data)))
            self._size += len(data)
            self._cond.notify_all()

    def next(self, alive: Callable[[], bool]) -> tuple[int, bytes] | None:
        """Wait for the next chunk; None once closed or when ``alive()`` turns false."""
        with self._cond:
            while not self._chunks:
                if self._closed or not alive():
                    return None
                self._cond.wait(timeout=1.0)
            ch, data = self._chunks.popleft()
            self._size -= len(data)
            return ch, data

    def wake(self) -> None:
        """Wake waiting readers (e.g. when their RPC ended)."""
        with self._cond:
            self._cond.notify_all()

    def close(self) -> None:
        """End every reader's stream once the queued data is taken; drop later writes."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def text_stream(self, channel: int) -> io.TextIOWrapper:
        """A text stream whose writes go to ``channel`` (to replace sys.stdout / sys.stderr)."""
        hub = self

        class _Raw(io.RawIOBase):
            def writable(self) -> bool:
                return True

            def write(self, b: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
                data = bytes(b)
                hub.write(channel, data)
                return len(data)

        return io.TextIOWrapper(io.BufferedWriter(_Raw()), encoding="utf-8", errors="backslashreplace",
                                line_buffering=True)


class StdioService(grpc_stdio_pb2_grpc.GRPCStdioServicer):
    """plugin.GRPCStdio: streams the hub's data until the RPC or the plugin ends."""

    def __init__(self, hub: StdioHub) -> None:
        self._hub = hub

    def StreamStdio(self, request: object, context: grpc.ServicerContext) -> Iterator[grpc_stdio_pb2.StdioData]:
        """Yield stdout/stderr chunks as they are written; end (status OK) when the hub closes."""
        context.add_callback(self._hub.wake)
        while True:
            chunk = self._hub.next(context.is_active)
            if chunk is None:
                return
            yield grpc_stdio_pb2.StdioData(channel=chunk[0], data=chunk[1])


class ControllerService(grpc_controller_pb2_grpc.GRPCControllerServicer):
    """plugin.GRPCController: Shutdown makes the plugin exit."""

    def __init__(self, on_shutdown: Callable[[], None]) -> None:
        self._on_shutdown = on_shutdown

    def Shutdown(self, request: grpc_controller_pb2.Empty, context: grpc.ServicerContext) -> grpc_controller_pb2.Empty:
        """Start the shutdown (the server stops once this call has answered) and answer."""
        log.debug("shutdown requested by the host")
        self._on_shutdown()
        return grpc_controller_pb2.Empty()


class BrokerService(grpc_broker_pb2_grpc.GRPCBrokerServicer):
    """plugin.GRPCBroker: accepted and held open; srbench brokers no connections."""

    def __init__(self, streams: StreamRegistry) -> None:
        self._streams = streams

    def StartStream(self, request_iterator: Iterator[grpc_broker_pb2.ConnInfo],
                    context: grpc.ServicerContext) -> Iterator[grpc_broker_pb2.ConnInfo]:
        """Read (and ignore) the host's broker messages until it closes the stream."""
        if not self._streams.add(context):
            return
        try:
            for info in request_iterator:
                log.debug("ignoring a go-plugin broker request (srbench plugins broker no connections)",
                          extra={"service_id": info.service_id})
        except Exception:  # the stream was cancelled: nothing to do
            pass
        return
        yield  # a generator: the response stream, which stays empty


class HealthService(health_pb2_grpc.HealthServicer):
    """grpc.health.v1.Health: the server ("") and "plugin" are SERVING."""

    def __init__(self, streams: StreamRegistry) -> None:
        self._streams = streams

    @staticmethod
    def _status(service: str) -> int | None:
        if service in ("", HEALTH_SERVICE):
            return health_pb2.HealthCheckResponse.SERVING
        return None

    def Check(self, request: health_pb2.HealthCheckRequest, context: grpc.ServicerContext) -> health_pb2.HealthCheckResponse:
        """Answer SERVING for "" and "plugin", NOT_FOUND for anything else."""
        st = self._status(request.service)
        if st is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service {request.service!r}")
        return health_pb2.HealthCheckResponse(status=st)

    def Watch(self, request: health_pb2.HealthCheckRequest,
              context: grpc.ServicerContext) -> Iterator[health_pb2.HealthCheckResponse]:
        """Send the status once, then hold the stream open until the client or the plugin ends it."""
        st = self._status(request.service)
        yield health_pb2.HealthCheckResponse(
            status=st if st is not None else health_pb2.HealthCheckResponse.SERVICE_UNKNOWN)
        if not self._streams.add(context):
            return
        done = threading.Event()
        context.add_callback(done.set)
        while context.is_active() and not done.wait(timeout=1.0):
            pass


def add_services(server: grpc.Server, hub: StdioHub, streams: StreamRegistry,
                 on_shutdown: Callable[[], None]) -> None:
    """Register go-plugin's services on ``server``."""
    health_pb2_grpc.add_HealthServicer_to_server(HealthService(streams), server)
    grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(ControllerService(on_shutdown), server)
    grpc_stdio_pb2_grpc.add_GRPCStdioServicer_to_server(StdioService(hub), server)
    grpc_broker_pb2_grpc.add_GRPCBrokerServicer_to_server(BrokerService(streams), server)
