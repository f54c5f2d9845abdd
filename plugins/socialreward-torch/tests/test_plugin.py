"""The scorer object the SDK serves, called directly (the gRPC side is the
SDK's and is tested there): options, describe, score with per-item
errors, and train through the contract's types."""

import json
import os
import unittest

import torch

import helpers

try:
    from socialreward_torch.plugin import TorchSocialReward, import_sdk

    sp = import_sdk()
except ImportError as e:  # the SDK is part of this checkout; say so if not
    raise unittest.SkipTest(f"srbench_plugin (harness/scorer/python) not importable: {e}")


class PluginTest(helpers.TempDirTest):
    def scorer(self, model_dir: str, **kw) -> TorchSocialReward:
        return TorchSocialReward(sp.Config(model_dir=model_dir, intra_op_threads=1, **kw))

    def test_options_and_devices(self) -> None:
        d = helpers.tiny_model_dir(self.tmp)
        with self.assertRaisesRegex(ValueError, "unknown option.*dvice"):
            self.scorer(d, options={"dvice": "cpu"})
        with self.assertRaisesRegex(ValueError, "device"):
            self.scorer(d, options={"device": "tpu"})
        if not torch.cuda.is_available():
            with self.assertRaisesRegex(ValueError, "no usable CUDA"):
                self.scorer(d, provider="cuda")
            with self.assertRaisesRegex(ValueError, "no usable CUDA"):
                self.scorer(d, options={"device": "cuda"})
        with self.assertRaisesRegex(ValueError, "contradicts"):
            self.scorer(d, provider="cuda", options={"device": "cpu"})

    def test_describe_and_score(self) -> None:
        d = helpers.tiny_model_dir(self.tmp)
        s = self.scorer(d, batch_size=2)
        desc = s.describe(sp.DescribeRequest())
        self.assertEqual((desc.name, desc.kind, desc.variant, desc.provider), ("socialreward-torch", "socialreward", "torch-blocks", "cpu"))
        self.assertIn("train", desc.capabilities)
        self.assertTrue(desc.fingerprint.startswith("sha256:") and len(desc.fingerprint) == 71)
        trip = helpers.synthetic_triplets(2)
        missing = os.path.join(self.tmp, "missing.png")
        items = [sp.Item(id="0", prompt="a red picture", image_bytes=trip[0].preferred),
                 sp.Item(id="1", prompt="a red picture", image_bytes=b"garbage"),
                 sp.Item(id="2", prompt="x", image_path=missing),
                 sp.Item(id="3", prompt="a blue picture", image_bytes=trip[0].preferred),
                 sp.Item(id="4", prompt="a red picture", image_bytes=trip[0].preferred)]
        res = s.score(sp.ScoreRequest(items=items)).results
        self.assertEqual(len(res), 5)
        self.assertEqual([r.failed for r in res], [False, True, True, False, False])
        self.assertIn("cannot decode", res[1].error)
        self.assertIn("missing.png", res[2].error)
        self.assertTrue(-1 <= res[0].score <= 1)
        self.assertEqual(res[0].score, res[4].score)
        self.assertNotEqual(res[0].score, res[3].score)

    def test_train(self) -> None:
        d = helpers.tiny_model_dir(self.tmp)
        s = self.scorer(d)
        data = helpers.synthetic_triplets(12, seed=5)

        def ref(t):
            return sp.Triplet(id=t.id, prompt=t.prompt, preferred=sp.ImageRef(data=t.preferred), other=sp.ImageRef(data=t.other))

        out = os.path.join(self.tmp, "trained")
        events = []
        req = sp.TrainRequest(config_json='{"lr": 1e-3, "batch_size": 4, "epochs": 2}', out_dir=out,
                              train=[ref(t) for t in data[:8]], validation=[ref(t) for t in data[8:]])
        s.train(req, events.append)
        last = events[-1]
        self.assertEqual(last.checkpoint_dir, out)
        metrics = json.loads(last.metrics_json)
        self.assertEqual(metrics["steps"], 4)
        self.assertEqual([e.epoch for e in events if not e.message], [0, 1, 2])
        with open(os.path.join(out, "training.json"), encoding="utf-8") as f:
            rec = json.load(f)
        self.assertEqual(rec["config"]["epochs"], 2)
        self.assertNotIn(self.tmp, json.dumps(rec), "training.json must not depend on where it was made")
        # The same run again writes the same directory, byte for byte.
        again = os.path.join(self.tmp, "again")
        s.train(sp.TrainRequest(config_json=req.config_json, out_dir=again, train=req.train, validation=req.validation), events.append)
        from socialreward_torch.modeldir import fingerprint
        self.assertEqual(fingerprint(again), fingerprint(out))
        # The trained directory serves this plugin too, and training can go on from it.
        s2 = self.scorer(out)
        self.assertNotEqual(s2.describe(sp.DescribeRequest()).fingerprint, s.describe(sp.DescribeRequest()).fingerprint)
        with self.assertRaisesRegex(ValueError, "unknown key"):
            s2.train(sp.TrainRequest(config_json='{"epoch": 1}', out_dir=os.path.join(self.tmp, "x")), events.append)
        with self.assertRaisesRegex(ValueError, "configured model directory"):
            s2.train(sp.TrainRequest(out_dir=out, train=req.train), events.append)


if __name__ == "__main__":
    unittest.main()
