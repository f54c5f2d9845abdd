"""Shared helpers of the SDK's tests: fake scorers, an in-process server, a plugin subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any, Callable

PYTHON_DIR = Path(__file__).resolve().parents[1]
REPO = PYTHON_DIR.parents[2]
if str(PYTHON_DIR) not in sys.path:
    sys.path.insert(0, str(PYTHON_DIR))

import grpc  # noqa: E402

import srbench_plugin as sp  # noqa: E402
from srbench_plugin import _serve  # noqa: E402
from srbench_plugin._pb import scorer_pb2, scorer_pb2_grpc  # noqa: E402


class FixedScorer:
    """Scores each item with scores[prompt] (a float), or a per-item error for prompts in errors."""

    def __init__(self, cfg: sp.Config, scores: dict[str, float] | None = None,
                 errors: dict[str, str] | None = None) -> None:
        self.cfg = cfg
        self.scores = scores or {}
        self.errors = errors or {}
        self.closed = False

    def describe(self, req: sp.DescribeRequest) -> sp.Description:
        return sp.Description(name="fixed", version="0.0.1", kind="fixed", fingerprint="none",
                              model_dir=self.cfg.model_dir, details={"n": 3})  # type: ignore[dict-item]

    def score(self, req: sp.ScoreRequest) -> sp.ScoreResponse:
        out = []
        for it in req.items:
            if it.prompt in self.errors:
                out.append(sp.Result(error=self.errors[it.prompt]))
            else:
                out.append(sp.Result(score=self.scores.get(it.prompt, float(len(it.prompt)))))
        return sp.ScoreResponse(out)

    def close(self) -> None:
        self.closed = True


class InProcess:
    """A PluginServer on a unix socket in this process, with a client stub."""

    def __init__(self, factory: Callable[[sp.Config], Any]) -> None:
        self.dir = tempfile.mkdtemp(prefix="sdk-test")
        self.plugin = _serve.PluginServer(factory)
        self.plugin.listen(os.path.join(self.dir, "p.sock"))
        opts = [("grpc.max_receive_message_length", sp.MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", sp.MAX_MESSAGE_BYTES)]
        self.channel = grpc.insecure_channel("unix:" + self.plugin.path, options=opts)
        self.scorer = scorer_pb2_grpc.ScorerStub(self.channel)
        self.trainer = scorer_pb2_grpc.TrainerStub(self.channel)

    def configure(self, model_dir: str = "/models/x", **options: str) -> None:
        self.scorer.Configure(scorer_pb2.ConfigureRequest(model_dir=model_dir, options=options), timeout=10)

    def score(self, *prompts: str) -> list[scorer_pb2.Result]:
        req = scorer_pb2.ScoreRequest(items=[scorer_pb2.Item(id=str(i), prompt=p, image_path="/x.png")
                                             for i, p in enumerate(prompts)])
        return list(self.scorer.Score(req, timeout=10).results)

    def close(self) -> None:
        self.channel.close()
        self.plugin.stop(grace=0.5)
        os.rmdir(self.dir)


class PluginProcess:
    """A plugin program (``body``, with srbench_plugin importable as sp) run in a subprocess."""

    def __init__(self, body: str, env: dict[str, str] | None = None) -> None:
        src = f"import sys\nsys.path.insert(0, {str(PYTHON_DIR)!r})\nimport srbench_plugin as sp\n" + textwrap.dedent(body)
        fd, self.script = tempfile.mkstemp(suffix=".py", prefix="plugin-test")
        with os.fdopen(fd, "w") as f:
            f.write(src)
        e = {k: v for k, v in os.environ.items() if not k.startswith("PLUGIN_") and k != sp.MAGIC_COOKIE_KEY}
        e.update(env or {})
        self.proc = subprocess.Popen([sys.executable, self.script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=e)

    def close(self) -> None:
        """Stop the process if it still runs (SIGTERM, then SIGKILL) and remove the script."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdout, self.proc.stderr):
            if f is not None:
                f.close()
        os.remove(self.script)
