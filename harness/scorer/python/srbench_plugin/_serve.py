"""serve(): go-plugin's plugin side, for a Python scorer.

What a go-plugin host (hashicorp/go-plugin v1.8 Client, as srbench's
harness/host uses it) expects of a gRPC plugin process, in order:

1. The magic cookie: the environment variable SRBENCH_SCORER_PLUGIN holds
   the srbench value, or the program was not started by srbench: say so
   and exit 1.
2. A listener: a unix socket, in PLUGIN_UNIX_SOCKET_DIR when set (else
   the temp directory), group-writable for PLUGIN_UNIX_SOCKET_GROUP.
3. AutoMTLS when PLUGIN_CLIENT_CERT is set (see _tls).
4. One line on stdout: ``1|1|unix|/path/to.sock|grpc|<server cert>``.
5. The services: the contract, health, controller, stdio, broker.
6. Ctrl-C (SIGINT) ignored: the host decides when the plugin ends.
7. On GRPCController.Shutdown: stop serving and exit with status 0 well
   within the host's 2 s.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile
import threading
from concurrent import futures
from typing import Any, Callable

import grpc

from . import _goplugin, _log, _service, _tls
from .contract import CORE_PROTOCOL_VERSION, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, MAX_MESSAGE_BYTES, PROTOCOL_VERSION

log = logging.getLogger("srbench_plugin")

ENV_SOCKET_DIR = "PLUGIN_UNIX_SOCKET_DIR"
ENV_SOCKET_GROUP = "PLUGIN_UNIX_SOCKET_GROUP"
ENV_PROTOCOL_VERSIONS = "PLUGIN_PROTOCOL_VERSIONS"

#: The longest unix socket path Linux takes (sun_path is 108 bytes with its NUL).
_MAX_SOCKET_PATH = 107

NOT_LAUNCHED_BY_SRBENCH = (
    "This program is an srbench scorer plugin. It is not meant to be run directly:\n"
    "srbench launches it (`srbench plugins list`, `srbench run`), passing the\n"
    f"handshake cookie in the environment variable {MAGIC_COOKIE_KEY}.\n"
)


def check_cookie(environ: dict[str, str] | os._Environ[str]) -> str | None:
    """None when the magic cookie is right, else the message to print before exiting 1."""
    if environ.get(MAGIC_COOKIE_KEY) == MAGIC_COOKIE_VALUE:
        return None
    return NOT_LAUNCHED_BY_SRBENCH


def handshake_line(path: str, cert_field: str = "") -> str:
    """go-plugin's handshake line: core version|app version|network|address|protocol|server cert."""
    return f"{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|unix|{path}|grpc|{cert_field}"


def socket_path(socket_dir: str | None) -> str:
    """A fresh, not yet existing socket path in ``socket_dir`` (None: the temp directory).

    Like go-plugin: a temporary file's name, removed so the socket can take it.
    """
    fd, path = tempfile.mkstemp(prefix="plugin", dir=socket_dir or None)
    os.close(fd)
    os.remove(path)
    if len(path.encode()) > _MAX_SOCKET_PATH:
        raise OSError(f"unix socket path {path} is longer than {_MAX_SOCKET_PATH} bytes; "
                      f"set {ENV_SOCKET_DIR} or TMPDIR to a shorter directory")
    return path


def _set_group(path: str, group: str) -> None:
    """Give the socket to ``group`` (a name or gid) with group write access, as go-plugin does."""
    import grp

    gid = int(group) if group.isdigit() else grp.getgrnam(group).gr_gid
    os.chown(path, -1, gid)
    os.chmod(path, 0o660)


class PluginServer:
    """The gRPC server of one plugin process: the contract plus go-plugin's services.

    serve() runs one for the host; tests run one in-process.
    """

    def __init__(self, factory: Callable[..., Any], *, max_workers: int = 16) -> None:
        self.holder = _service.ScorerHolder(factory)
        self.hub = _goplugin.StdioHub()
        self.streams = _goplugin.StreamRegistry()
        self.shutdown_requested = threading.Event()
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="srbench-plugin"),
            options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                     ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)])
        _service.add_services(self.server, self.holder)
        _goplugin.add_services(self.server, self.hub, self.streams, self.shutdown_requested.set)
        self.path = ""

    def listen(self, path: str, credentials: grpc.ServerCredentials | None = None) -> None:
        """Bind the unix socket ``path`` (TLS when ``credentials``) and start serving."""
        address = "unix:" + path
        port = (self.server.add_secure_port(address, credentials) if credentials is not None
                else self.server.add_insecure_port(address))
        if port == 0:
            raise OSError(f"could not listen on {address}")
        self.path = path
        self.server.start()

    def stop(self, grace: float = 0.5) -> None:
        """Stop serving: end the long-lived streams, let calls in flight finish for ``grace`` seconds.

        The scorer is not closed: the process is about to exit (within the
        2 s go-plugin allows), and a call the host gave up on may still be
        using it.
        """
        self.hub.close()
        self.streams.cancel_all()
        self.server.stop(grace).wait(grace + 0.5)
        if self.path:
            try:
                os.remove(self.path)
            except OSError:
                pass


def serve(factory: Callable[..., Any], *, max_workers: int = 16) -> None:
    """Run a scorer plugin: go-plugin's handshake, then the contract, until the host shuts it down.

    ``factory(config)`` is called on every Configure and returns the scorer
    object (describe, score, optionally train and close). serve() never
    returns: the process exits 0 when the host shuts the plugin down, and 1
    when it was not launched by srbench or cannot start.
    """
    if not callable(factory):
        raise TypeError(f"serve() takes a factory function, not a {type(factory).__name__}")
    msg = check_cookie(os.environ)
    if msg is not None:
        sys.stderr.write(msg)
        sys.stderr.flush()
        sys.exit(1)

    real_stderr = sys.__stderr__
    assert real_stderr is not None and sys.__stdout__ is not None
    handler = _log.install(real_stderr)
    _log.log_uncaught(log)

    versions = os.environ.get(ENV_PROTOCOL_VERSIONS, "")
    if versions and str(PROTOCOL_VERSION) not in versions.split(","):
        log.warning("the host speaks contract versions %s, this plugin speaks %d", versions, PROTOCOL_VERSION)

    plugin = PluginServer(factory, max_workers=max_workers)
    cert_field = ""
    try:
        creds = None
        client_pem = os.environ.get(_tls.ENV_CLIENT_CERT, "")
        if client_pem:
            client = _tls.parse_client_certificate(client_pem)
            cert = _tls.generate_certificate()
            creds = grpc.ssl_server_credentials([(cert.key_pem, cert.cert_pem)], root_certificates=client,
                                                require_client_auth=True)
            cert_field = cert.handshake_field()
        path = socket_path(os.environ.get(ENV_SOCKET_DIR))
        plugin.listen(path, creds)
        group = os.environ.get(ENV_SOCKET_GROUP, "")
        if group:
            _set_group(path, group)
    except Exception as e:
        log.error("plugin init error: %s", _service.error_message(e), exc_info=True)
        handler.flush()
        os._exit(1)

    # Before the handshake line, so that a signal sent as soon as the plugin
    # is announced finds the handlers: SIGINT is the terminal's (the host
    # handles Ctrl-C); SIGTERM (someone other than the host stopping the
    # plugin) shuts down as on the host's request, so the socket is removed.
    # The handler only records the signal: it runs in the main thread,
    # possibly inside Event.wait while that holds the event's lock, so
    # setting the event from it could deadlock.
    terminated: list = []
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: terminated.append(signum))
    log.debug("plugin address", extra={"network": "unix", "address": path})
    # The real stdout (sys.stdout may already point elsewhere: see __init__).
    sys.__stdout__.flush()
    os.write(sys.__stdout__.fileno(), (handshake_line(path, cert_field) + "\n").encode())

    # go-plugin's Go server does the same: the process's own stdout and
    # stderr go to the host through the stdio stream from now on (the real
    # stderr stays the log).
    sys.stdout = plugin.hub.text_stream(_goplugin.StdioHub.STDOUT)
    sys.stderr = plugin.hub.text_stream(_goplugin.StdioHub.STDERR)

    while not terminated and not plugin.shutdown_requested.wait(0.1):
        pass
    plugin.stop()
    if plugin.hub.dropped:
        log.debug("stdout/stderr bytes dropped (no host read them)", extra={"bytes": plugin.hub.dropped})
    handler.flush()
    # Like a Go plugin returning from main: threads still running (a score
    # call the host gave up on) end with the process.
    os._exit(0)
