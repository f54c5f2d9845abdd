"""The SDK's types and rules without gRPC: constants, options, limits, conversions."""

from __future__ import annotations

import math
import os
import re
import tempfile
import unittest

import helpers  # noqa: F401  (puts the SDK on sys.path)

import grpc

import srbench_plugin as sp
from srbench_plugin import _service
from srbench_plugin._pb import scorer_pb2


class ConstantsTest(unittest.TestCase):
    def test_handshake_matches_go(self) -> None:
        """The cookie and protocol version are the ones harness/scorer/scorer.go declares."""
        src = (helpers.REPO / "harness" / "scorer" / "scorer.go").read_text()
        self.assertIn(f'MagicCookieKey:   "{sp.MAGIC_COOKIE_KEY}"', src)
        self.assertIn(f'MagicCookieValue: "{sp.MAGIC_COOKIE_VALUE}"', src)
        m = re.search(r"^const ProtocolVersion = (\d+)$", src, re.M)
        assert m is not None
        self.assertEqual(int(m.group(1)), sp.PROTOCOL_VERSION)

    def test_max_message_matches_go(self) -> None:
        src = (helpers.REPO / "harness" / "scorer" / "grpc.go").read_text()
        self.assertIn("const MaxMessageBytes = 512 << 20", src)
        self.assertEqual(sp.MAX_MESSAGE_BYTES, 512 << 20)


class OptionsTest(unittest.TestCase):
    def test_known_options_pass(self) -> None:
        sp.Config("/m", options={"variant": "x"}).check_options("variant", "other")
        sp.Config("/m").check_options()

    def test_unknown_options_are_named(self) -> None:
        with self.assertRaises(ValueError) as cm:
            sp.Config("/m", options={"zeta": "1", "alpha": "2", "variant": "x"}).check_options("variant")
        self.assertEqual(str(cm.exception), "unknown option(s) alpha, zeta; this scorer knows: variant")

    def test_no_options_known(self) -> None:
        with self.assertRaisesRegex(ValueError, r"unknown option\(s\) x; this scorer knows: none"):
            sp.Config("/m", options={"x": "1"}).check_options()


class ReadImageTest(unittest.TestCase):
    def setUp(self) -> None:
        fd, self.path = tempfile.mkstemp()
        os.write(fd, b"0123456789")
        os.close(fd)

    def tearDown(self) -> None:
        os.remove(self.path)

    def test_path_and_bytes(self) -> None:
        self.assertEqual(sp.Item("a", "p", image_path=self.path).read_image(), b"0123456789")
        self.assertEqual(sp.Item("a", "p", image_bytes=b"xy").read_image(), b"xy")
        self.assertEqual(sp.ImageRef(path=self.path, data=b"wins").read(), b"wins")

    def test_limits(self) -> None:
        self.assertEqual(sp.Item("a", "p", image_path=self.path).read_image(10), b"0123456789")
        with self.assertRaisesRegex(ValueError, "10 bytes, more than the limit of 9 bytes"):
            sp.Item("a", "p", image_path=self.path).read_image(9)
        with self.assertRaisesRegex(ValueError, "3 bytes, more than the limit of 2 bytes"):
            sp.Item("a", "p", image_bytes=b"xyz").read_image(2)
        self.assertEqual(sp.Item("a", "p", image_path=self.path).read_image(-1), b"0123456789")

    def test_default_limit(self) -> None:
        big = b"\0" * (sp.DEFAULT_MAX_IMAGE_BYTES + 1)
        with self.assertRaisesRegex(ValueError, "more than the limit of 67108864 bytes"):
            sp.Item("a", "p", image_bytes=big).read_image()

    def test_no_image(self) -> None:
        with self.assertRaisesRegex(ValueError, "no image"):
            sp.Item("a", "p").read_image()
        with self.assertRaises(OSError):
            sp.Item("a", "p", image_path=self.path + ".missing").read_image()


class ResultRulesTest(unittest.TestCase):
    def test_one_result_per_item(self) -> None:
        resp = sp.ScoreResponse([sp.Result(1.0)])
        with self.assertRaises(_service.RuleError) as cm:
            _service.response_to_pb(resp, 2)
        self.assertEqual(cm.exception.code, grpc.StatusCode.INTERNAL)
        self.assertEqual(cm.exception.message, "scorer returned 1 results for 2 items")
        self.assertEqual(len(_service.response_to_pb(resp, 1).results), 1)

    def test_non_finite_scores_become_item_errors(self) -> None:
        resp = sp.ScoreResponse([sp.Result(math.nan), sp.Result(math.inf), sp.Result(-math.inf), sp.Result(2.5),
                                 sp.Result(score=7.0, error="bad image")])
        out = _service.response_to_pb(resp, 5).results
        self.assertEqual([r.error for r in out], [
            "scorer produced a non-finite score (NaN)",
            "scorer produced a non-finite score (+Inf)",
            "scorer produced a non-finite score (-Inf)",
            "",
            "bad image",
        ])
        self.assertEqual([r.score for r in out], [0, 0, 0, 2.5, 0])

    def test_wrong_types_fail_the_call(self) -> None:
        for resp in ([sp.Result(1.0)], sp.ScoreResponse([1.0]), sp.ScoreResponse([sp.Result("x")])):  # type: ignore
            with self.assertRaises(_service.RuleError):
                _service.response_to_pb(resp, 1)

    def test_numpy_like_scores_are_floats(self) -> None:
        class F:
            def __float__(self) -> float:
                return 0.25
        self.assertEqual(_service.response_to_pb(sp.ScoreResponse([sp.Result(F())]), 1).results[0].score, 0.25)  # type: ignore


class DescribeRulesTest(unittest.TestCase):
    def test_capabilities_default(self) -> None:
        class Plain:
            pass

        class Trainable:
            def train(self, req: sp.TrainRequest, emit: sp.Emit) -> None:
                pass

        d = sp.Description(name="n")
        self.assertEqual(list(_service.description_to_pb(d, Plain()).capabilities), ["score"])
        self.assertEqual(list(_service.description_to_pb(d, Trainable()).capabilities), ["score", "train"])
        explicit = sp.Description(capabilities=["score"])
        self.assertEqual(list(_service.description_to_pb(explicit, Trainable()).capabilities), ["score"])
        self.assertEqual(_service.description_to_pb(d, Plain()).protocol_version, sp.PROTOCOL_VERSION)


def _triplet(i: int) -> scorer_pb2.Triplet:
    return scorer_pb2.Triplet(id=f"t{i}", prompt="p", preferred=scorer_pb2.Image(path="/a.png"),
                              other=scorer_pb2.Image(data=b"png"), weight=0 if i % 2 else 2.0)


def stream(n_train: int, n_val: int, end: tuple[int, int] | None = None,
           start: bool = True) -> list[scorer_pb2.TrainInput]:
    """A TrainTriplets input stream; ``end`` overrides the counts of its end message (None: right ones)."""
    msgs = []
    if start:
        msgs.append(scorer_pb2.TrainInput(start=scorer_pb2.TrainStart(config_json='{"epochs":1}', out_dir="/out",
                                                                      train_count=n_train,
                                                                      validation_count=n_val)))
    msgs += [scorer_pb2.TrainInput(train=_triplet(i)) for i in range(n_train)]
    msgs += [scorer_pb2.TrainInput(validation=_triplet(i)) for i in range(n_val)]
    tc, vc = end if end is not None else (n_train, n_val)
    msgs.append(scorer_pb2.TrainInput(end=scorer_pb2.TrainEnd(train_count=tc, validation_count=vc)))
    return msgs


class ReceiveTrainingTest(unittest.TestCase):
    def test_whole_stream(self) -> None:
        req = _service.receive_training(stream(3, 2))
        self.assertEqual((req.config_json, req.out_dir, len(req.train), len(req.validation)),
                         ('{"epochs":1}', "/out", 3, 2))
        self.assertEqual(req.train[0].preferred, sp.ImageRef(path="/a.png"))
        self.assertEqual(req.train[1].other, sp.ImageRef(data=b"png"))
        self.assertEqual([t.weight for t in req.train], [2.0, 1.0, 2.0])  # 0 on the wire means 1

    def test_counts_are_checked(self) -> None:
        for end in ((4, 2), (3, 1), (0, 0)):
            with self.subTest(end=end), self.assertRaises(_service.RuleError) as cm:
                _service.receive_training(stream(3, 2, end=end))
            self.assertEqual(cm.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn(f"end says {end[0]} training and {end[1]} validation triplets, 3 and 2 arrived",
                          cm.exception.message)

    def test_stream_shape(self) -> None:
        cases = {
            "the first message must be start": stream(1, 0, start=False),
            "a second start message": stream(0, 0)[:1] + stream(1, 0),
            "ended without its end message (2 training and 0 validation": stream(2, 0)[:-1],
            "an empty message": stream(0, 0)[:1] + [scorer_pb2.TrainInput()],
        }
        for want, msgs in cases.items():
            with self.subTest(want=want), self.assertRaises(_service.RuleError) as cm:
                _service.receive_training(msgs)
            self.assertIn(want, cm.exception.message)


if __name__ == "__main__":
    unittest.main()
