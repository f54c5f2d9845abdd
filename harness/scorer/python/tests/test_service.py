"""The contract's services over gRPC, in-process: Configure, Describe, Score, TrainTriplets, health."""

from __future__ import annotations

import math
import threading
import unittest

from helpers import FixedScorer, InProcess

import grpc

import srbench_plugin as sp
from srbench_plugin._pb import health_pb2, health_pb2_grpc, scorer_pb2
from test_contract import stream


class Base(unittest.TestCase):
    """Helpers: an in-process plugin server and status assertions."""

    def serve(self, factory) -> InProcess:  # type: ignore[no-untyped-def]
        s = InProcess(factory)
        self.addCleanup(s.close)
        return s

    def assertStatus(self, code: grpc.StatusCode, fn, *args, **kw) -> str:  # type: ignore[no-untyped-def]
        with self.assertRaises(grpc.RpcError) as cm:
            fn(*args, **kw)
        self.assertEqual(cm.exception.code(), code, cm.exception.details())
        return str(cm.exception.details())


class ServiceTest(Base):
    def test_not_configured(self) -> None:
        s = self.serve(FixedScorer)
        msg = self.assertStatus(grpc.StatusCode.FAILED_PRECONDITION, s.score, "a")
        self.assertIn("not configured", msg)
        self.assertStatus(grpc.StatusCode.FAILED_PRECONDITION, s.scorer.Describe, scorer_pb2.DescribeRequest())
        self.assertStatus(grpc.StatusCode.FAILED_PRECONDITION, lambda: list(s.trainer.TrainTriplets(iter(stream(1, 0)))))

    def test_configure_and_describe(self) -> None:
        seen: list[sp.Config] = []

        def factory(cfg: sp.Config) -> FixedScorer:
            seen.append(cfg)
            return FixedScorer(cfg)

        s = self.serve(factory)
        s.scorer.Configure(scorer_pb2.ConfigureRequest(model_dir="/m", intra_op_threads=2, batch_size=8,
                                                       provider="cpu", options={"k": "v"}, max_image_bytes=5,
                                                       decode_memory_bytes=6))
        self.assertEqual(seen, [sp.Config("/m", 2, 8, "cpu", {"k": "v"}, 5, 6)])
        d = s.scorer.Describe(scorer_pb2.DescribeRequest())
        self.assertEqual((d.name, d.fingerprint, list(d.capabilities), d.protocol_version, d.model_dir, dict(d.details)),
                         ("fixed", "none", ["score"], 1, "/m", {"n": "3"}))

    def test_factory_errors_refuse_the_configuration(self) -> None:
        def factory(cfg: sp.Config) -> FixedScorer:
            cfg.check_options("variant")
            return FixedScorer(cfg)

        s = self.serve(factory)
        msg = self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, s.configure, typo="1")
        self.assertEqual(msg, "unknown option(s) typo; this scorer knows: variant")
        self.assertStatus(grpc.StatusCode.FAILED_PRECONDITION, s.score, "a")

    def test_reconfigure_closes_the_old_scorer(self) -> None:
        made: list[FixedScorer] = []
        s = self.serve(lambda cfg: made.append(FixedScorer(cfg)) or made[-1])
        s.configure("/a")
        s.configure("/b")
        self.assertEqual([m.closed for m in made], [True, False])
        self.assertEqual(s.scorer.Describe(scorer_pb2.DescribeRequest()).model_dir, "/b")

    def test_score_rules(self) -> None:
        s = self.serve(lambda cfg: FixedScorer(cfg, scores={"nan": math.nan, "x": 1.5}, errors={"bad": "no image"}))
        s.configure()
        res = s.score("x", "nan", "bad", "four")
        self.assertEqual([(r.score, r.error) for r in res], [
            (1.5, ""), (0.0, "scorer produced a non-finite score (NaN)"), (0.0, "no image"), (4.0, "")])
        self.assertEqual(s.score(), [])

    def test_wrong_result_count_fails_the_call(self) -> None:
        class Short(FixedScorer):
            def score(self, req: sp.ScoreRequest) -> sp.ScoreResponse:
                return sp.ScoreResponse(super().score(req).results[:-1])

        s = self.serve(Short)
        s.configure()
        msg = self.assertStatus(grpc.StatusCode.INTERNAL, s.score, "a", "b")
        self.assertEqual(msg, "scorer returned 1 results for 2 items")

    def test_exception_fails_the_call(self) -> None:
        class Broken(FixedScorer):
            def score(self, req: sp.ScoreRequest) -> sp.ScoreResponse:
                raise RuntimeError("model exploded")

        s = self.serve(Broken)
        s.configure()
        with self.assertLogs("srbench_plugin", "ERROR") as logs:
            self.assertEqual(self.assertStatus(grpc.StatusCode.INTERNAL, s.score, "a"), "model exploded")
        self.assertIn("score() failed: model exploded", logs.output[0])
        self.assertIn("Traceback", logs.output[0])
        # The plugin keeps serving.
        with self.assertLogs("srbench_plugin", "ERROR"):
            self.assertStatus(grpc.StatusCode.INTERNAL, s.score, "a")

    def test_items_arrive_whole(self) -> None:
        got: list[sp.Item] = []

        class Recorder(FixedScorer):
            def score(self, req: sp.ScoreRequest) -> sp.ScoreResponse:
                got.extend(req.items)
                return super().score(req)

        s = self.serve(Recorder)
        s.configure()
        big = bytes(range(256)) * (24 << 12)  # 24 MiB: beyond gRPC's default 4 MiB message limit
        s.scorer.Score(scorer_pb2.ScoreRequest(items=[
            scorer_pb2.Item(id="1", prompt="p", image_path="/abs.png"),
            scorer_pb2.Item(id="2", prompt="q", image_bytes=big)]), timeout=30)
        self.assertEqual(got[0], sp.Item("1", "p", image_path="/abs.png"))
        self.assertEqual((got[1].id, got[1].image_path, got[1].image_bytes == big), ("2", "", True))

    def test_concurrent_scores(self) -> None:
        """Two Score calls run at once (the host keeps two in flight)."""
        barrier = threading.Barrier(2, timeout=10)

        class Meeting(FixedScorer):
            def score(self, req: sp.ScoreRequest) -> sp.ScoreResponse:
                barrier.wait()  # both calls must be inside score() together
                return super().score(req)

        s = self.serve(Meeting)
        s.configure()
        out: list[list[scorer_pb2.Result]] = []
        ts = [threading.Thread(target=lambda p=p: out.append(s.score(p))) for p in ("ab", "abc")]
        for t in ts:
            t.start()
        for t in ts:
            t.join(20)
        self.assertEqual(sorted(r[0].score for r in out), [2.0, 3.0])

    def test_health(self) -> None:
        s = self.serve(FixedScorer)
        h = health_pb2_grpc.HealthStub(s.channel)
        for name in ("", "plugin"):
            self.assertEqual(h.Check(health_pb2.HealthCheckRequest(service=name)).status,
                             health_pb2.HealthCheckResponse.SERVING)
        self.assertStatus(grpc.StatusCode.NOT_FOUND, h.Check, health_pb2.HealthCheckRequest(service="other"))


class Trainable(FixedScorer):
    """Emits one event per epoch and a final one naming the checkpoint."""

    def train(self, req: sp.TrainRequest, emit: sp.Emit) -> None:
        if req.config_json == "fail":
            raise ValueError("unknown key 'lr_typo'")
        for epoch in range(2):
            emit(sp.TrainEvent(epoch=epoch, step=epoch + 1, total_steps=2, loss=1.0 / (epoch + 1)))
        emit(sp.TrainEvent(epoch=1, step=2, total_steps=2, checkpoint_dir=req.out_dir + "/model",
                           message=f"{len(req.train)} train, {len(req.validation)} validation",
                           metrics_json='{"acc": 0.5}'))


class TrainTest(Base):
    def test_untrainable_is_unimplemented(self) -> None:
        s = self.serve(FixedScorer)
        s.configure()
        msg = self.assertStatus(grpc.StatusCode.UNIMPLEMENTED, lambda: list(s.trainer.TrainTriplets(iter(stream(1, 0)))))
        self.assertIn("cannot be trained", msg)

    def test_train(self) -> None:
        s = self.serve(Trainable)
        s.configure()
        self.assertEqual(list(s.scorer.Describe(scorer_pb2.DescribeRequest()).capabilities), ["score", "train"])
        events = list(s.trainer.TrainTriplets(iter(stream(3, 2)), timeout=20))
        self.assertEqual([(e.epoch, e.step, e.loss) for e in events], [(0, 1, 1.0), (1, 2, 0.5), (1, 2, 0.0)])
        self.assertEqual((events[-1].checkpoint_dir, events[-1].message, events[-1].metrics_json),
                         ("/out/model", "3 train, 2 validation", '{"acc": 0.5}'))

    def test_count_mismatch_is_refused(self) -> None:
        s = self.serve(Trainable)
        s.configure()
        msg = self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT,
                                lambda: list(s.trainer.TrainTriplets(iter(stream(3, 2, end=(3, 5))), timeout=20)))
        self.assertEqual(msg, "training stream: end says 3 training and 5 validation triplets, 3 and 2 arrived")

    def test_train_exception_fails_the_call(self) -> None:
        s = self.serve(Trainable)
        s.configure()
        msgs = stream(1, 0)
        msgs[0].start.config_json = "fail"
        with self.assertLogs("srbench_plugin", "ERROR"):
            msg = self.assertStatus(grpc.StatusCode.INTERNAL,
                                    lambda: list(s.trainer.TrainTriplets(iter(msgs), timeout=20)))
        self.assertEqual(msg, "unknown key 'lr_typo'")


if __name__ == "__main__":
    unittest.main()
