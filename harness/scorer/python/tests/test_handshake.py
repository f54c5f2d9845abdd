"""serve() in a real subprocess, driven the way go-plugin's host drives it.

The cookie, the handshake line, AutoMTLS, the stdio stream, hclog JSON on
stderr, and GRPCController.Shutdown ending the process with status 0.
"""

from __future__ import annotations

import datetime
import json
import os
import select
import shutil
import tempfile
import time
import unittest

from helpers import PluginProcess

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

import srbench_plugin as sp
from srbench_plugin import _serve, _tls
from srbench_plugin._pb import (
    grpc_controller_pb2,
    grpc_controller_pb2_grpc,
    grpc_stdio_pb2,
    grpc_stdio_pb2_grpc,
    health_pb2,
    health_pb2_grpc,
    scorer_pb2,
    scorer_pb2_grpc,
)

PLUGIN = """
import logging

class Echo:
    def __init__(self, cfg):
        cfg.check_options()
        self.cfg = cfg
    def describe(self, req):
        return sp.Description(name="echo", fingerprint="none", model_dir=self.cfg.model_dir)
    def score(self, req):
        print("scoring", len(req.items), "items")           # goes to the stdio stream
        logging.getLogger("echo").warning("scored %d", len(req.items), extra={"batch": len(req.items)})
        return sp.ScoreResponse([sp.Result(score=float(len(it.prompt))) for it in req.items])

sp.serve(Echo)
"""

COOKIE = {sp.MAGIC_COOKIE_KEY: sp.MAGIC_COOKIE_VALUE}


def read_line(p: PluginProcess, timeout: float = 30) -> str:
    """The plugin's first stdout line (its handshake)."""
    assert p.proc.stdout is not None
    ready, _, _ = select.select([p.proc.stdout], [], [], timeout)
    if not ready:
        raise AssertionError("no handshake line within %ss" % timeout)
    return p.proc.stdout.readline().decode()


class CookieTest(unittest.TestCase):
    def test_without_cookie_exits_1(self) -> None:
        for env in ({}, {sp.MAGIC_COOKIE_KEY: "wrong"}):
            p = PluginProcess(PLUGIN, env)
            self.addCleanup(p.close)
            out, err = p.proc.communicate(timeout=30)
            self.assertEqual(p.proc.returncode, 1)
            self.assertEqual(out, b"")
            self.assertIn(b"srbench scorer plugin. It is not meant to be run directly", err)
            self.assertIn(sp.MAGIC_COOKIE_KEY.encode(), err)

    def test_check_cookie(self) -> None:
        self.assertIsNone(_serve.check_cookie(COOKIE))
        self.assertIsNotNone(_serve.check_cookie({}))


class BeforeServeTest(unittest.TestCase):
    """What a plugin does between importing the SDK and serving cannot break the handshake."""

    def test_print_before_serve_goes_to_stderr(self) -> None:
        p = PluginProcess('print("loading my model...")\n' + PLUGIN, COOKIE)
        self.addCleanup(p.close)
        line = read_line(p)
        self.assertTrue(line.startswith("1|1|unix|"), line)
        # SIGTERM stops it like the host's shutdown: exit 0, socket removed.
        p.proc.terminate()
        self.assertEqual(p.proc.wait(10), 0)
        self.assertFalse(os.path.exists(line.rstrip("\n").split("|")[3]))

    def test_crash_before_serve_is_an_error_line(self) -> None:
        p = PluginProcess("import no_such_module_here\n", COOKIE)
        self.addCleanup(p.close)
        out, err = p.proc.communicate(timeout=30)
        self.assertEqual((p.proc.returncode, out), (1, b""))
        entry = json.loads(err.decode().strip().splitlines()[-1])
        self.assertEqual(entry["@level"], "error")
        self.assertEqual(entry["@message"],
                         "plugin failed before serving: ModuleNotFoundError: No module named 'no_such_module_here'")
        self.assertIn("Traceback", entry["traceback"])


class HandshakeFormatTest(unittest.TestCase):
    def test_line(self) -> None:
        self.assertEqual(_serve.handshake_line("/tmp/plugin1"), "1|1|unix|/tmp/plugin1|grpc|")
        self.assertEqual(_serve.handshake_line("/s", "QUJD"), "1|1|unix|/s|grpc|QUJD")

    def test_certificate(self) -> None:
        """The server certificate is what a Go TLS client accepts for "localhost", sent unpadded."""
        c = _tls.generate_certificate()
        field = c.handshake_field()
        self.assertNotIn("=", field)
        self.assertGreater(len(field), 50)  # go-plugin ignores a 6th field of 50 characters or fewer
        self.assertEqual(_tls.decode_handshake_field(field), c.cert_der)
        cert = x509.load_der_x509_certificate(c.cert_der)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        self.assertEqual(san.get_values_for_type(x509.DNSName), ["localhost"])
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        self.assertIn(ExtendedKeyUsageOID.SERVER_AUTH, list(eku))
        self.assertTrue(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
        now = datetime.datetime.utcnow()
        self.assertLess(cert.not_valid_before, now)
        self.assertGreater(cert.not_valid_after, now + datetime.timedelta(days=365 * 29))
        self.assertEqual(c.cert_pem, cert.public_bytes(serialization.Encoding.PEM))

    def test_socket_dir(self) -> None:
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        path = _serve.socket_path(d)
        self.assertEqual(os.path.dirname(path), d)
        self.assertFalse(os.path.exists(path))
        long = os.path.join(d, "x" * 120)
        os.mkdir(long)
        with self.assertRaisesRegex(OSError, "longer than 107 bytes"):
            _serve.socket_path(long)


class PluginProcessTest(unittest.TestCase):
    """The whole life of a plugin process, with and without AutoMTLS."""

    def start(self, env: dict[str, str]) -> tuple[PluginProcess, list[str]]:
        p = PluginProcess(PLUGIN, {**COOKIE, **env})
        self.addCleanup(p.close)
        line = read_line(p)
        self.assertTrue(line.endswith("\n"))
        parts = line.rstrip("\n").split("|")
        self.assertEqual(len(parts), 6, line)
        self.assertEqual(parts[:3], ["1", "1", "unix"])
        self.assertEqual(parts[4], "grpc")
        return p, parts

    def shutdown_and_wait(self, p: PluginProcess, channel: grpc.Channel, socket: str) -> None:
        t0 = time.monotonic()
        grpc_controller_pb2_grpc.GRPCControllerStub(channel).Shutdown(grpc_controller_pb2.Empty(), timeout=10)
        channel.close()
        self.assertEqual(p.proc.wait(timeout=10), 0)
        self.assertLess(time.monotonic() - t0, 2.0, "go-plugin waits 2 s before killing the plugin")
        self.assertFalse(os.path.exists(socket))

    def exercise(self, channel: grpc.Channel) -> tuple[list[bytes], str]:
        """Configure, score, read the stdio stream; return the stdio chunks and the scores' prompts."""
        health = health_pb2_grpc.HealthStub(channel)
        self.assertEqual(health.Check(health_pb2.HealthCheckRequest(service="plugin"), timeout=10).status,
                         health_pb2.HealthCheckResponse.SERVING)
        stdio = grpc_stdio_pb2_grpc.GRPCStdioStub(channel).StreamStdio(grpc_stdio_pb2.google_dot_protobuf_dot_empty__pb2.Empty())
        sc = scorer_pb2_grpc.ScorerStub(channel)
        sc.Configure(scorer_pb2.ConfigureRequest(model_dir="/m"), timeout=10)
        res = sc.Score(scorer_pb2.ScoreRequest(items=[scorer_pb2.Item(prompt="abc", image_path="/x")]), timeout=10)
        self.assertEqual([r.score for r in res.results], [3.0])
        first = next(stdio)
        self.assertEqual((first.channel, first.data), (grpc_stdio_pb2.StdioData.STDOUT, b"scoring 1 items\n"))
        stdio.cancel()
        return [first.data], sc.Describe(scorer_pb2.DescribeRequest(), timeout=10).name

    def check_log(self, p: PluginProcess) -> None:
        """stderr holds hclog JSON lines the way go-plugin parses them, and only the expected warning."""
        assert p.proc.stderr is not None
        lines = p.proc.stderr.read().decode().splitlines()
        # gRPC's C core writes its own log lines (the refused stranger's TLS
        # handshake); go-plugin logs lines that are not JSON at debug level.
        entries = [json.loads(line) for line in lines if "Handshake failed" not in line]
        warn = [e for e in entries if e["@message"] == "scored 1"]
        self.assertEqual(len(warn), 1, lines)
        self.assertEqual((warn[0]["@level"], warn[0]["@module"], warn[0]["batch"]), ("warn", "echo", 1))
        # go-plugin's layout "2006-01-02T15:04:05.000000Z07:00"
        datetime.datetime.strptime(warn[0]["@timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
        self.assertFalse([e for e in entries if e["@level"] in ("warn", "error") and e is not warn[0]], lines)

    def test_plain(self) -> None:
        d = tempfile.mkdtemp(prefix="sock")
        self.addCleanup(shutil.rmtree, d)
        p, parts = self.start({"PLUGIN_UNIX_SOCKET_DIR": d})
        self.assertEqual(os.path.dirname(parts[3]), d)
        self.assertEqual(parts[5], "")
        channel = grpc.insecure_channel("unix:" + parts[3])
        _, name = self.exercise(channel)
        self.assertEqual(name, "echo")
        self.shutdown_and_wait(p, channel, parts[3])
        self.check_log(p)

    def test_shutdown_during_a_long_score(self) -> None:
        """A call the host gives up on does not hold the process past go-plugin's 2 s."""
        p = PluginProcess("""
import time

class Slow:
    def __init__(self, cfg):
        pass
    def describe(self, req):
        return sp.Description(name="slow")
    def score(self, req):
        time.sleep(30)
        return sp.ScoreResponse([sp.Result(1.0) for _ in req.items])

sp.serve(Slow)
""", COOKIE)
        self.addCleanup(p.close)
        parts = read_line(p).rstrip("\n").split("|")
        channel = grpc.insecure_channel("unix:" + parts[3])
        sc = scorer_pb2_grpc.ScorerStub(channel)
        sc.Configure(scorer_pb2.ConfigureRequest(model_dir="/m"), timeout=10)
        call = sc.Score.future(scorer_pb2.ScoreRequest(items=[scorer_pb2.Item(prompt="a", image_path="/x")]))
        time.sleep(0.3)  # the call is inside score()
        self.shutdown_and_wait(p, channel, parts[3])
        self.assertIsNotNone(call.exception())  # cancelled: the host closed its connection

    def test_auto_mtls(self) -> None:
        client = _tls.generate_certificate()
        p, parts = self.start({_tls.ENV_CLIENT_CERT: client.cert_pem.decode()})
        server_der = _tls.decode_handshake_field(parts[5])
        server_pem = x509.load_der_x509_certificate(server_der).public_bytes(serialization.Encoding.PEM)
        opts = [("grpc.ssl_target_name_override", "localhost"), ("grpc.default_authority", "localhost")]

        # A client with another certificate is refused.
        stranger = _tls.generate_certificate()
        bad = grpc.secure_channel("unix:" + parts[3], grpc.ssl_channel_credentials(
            root_certificates=server_pem, private_key=stranger.key_pem, certificate_chain=stranger.cert_pem), opts)
        with self.assertRaises(grpc.RpcError):
            health_pb2_grpc.HealthStub(bad).Check(health_pb2.HealthCheckRequest(service="plugin"), timeout=5)
        bad.close()

        channel = grpc.secure_channel("unix:" + parts[3], grpc.ssl_channel_credentials(
            root_certificates=server_pem, private_key=client.key_pem, certificate_chain=client.cert_pem), opts)
        self.exercise(channel)
        self.shutdown_and_wait(p, channel, parts[3])
        self.check_log(p)


if __name__ == "__main__":
    unittest.main()
