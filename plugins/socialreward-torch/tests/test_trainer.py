"""The training recipe: configuration, freezing, the loss, a small
end-to-end run on CPU and its determinism."""

import json
import unittest

import torch

import helpers
from socialreward_torch.preprocess import Preprocessor
from socialreward_torch.tokenizer import CLIPTokenizer
from socialreward_torch.trainer import LOSS_TRIPLET_COSINE, TrainConfig, Trainer, freeze, triplet_loss


class ConfigTest(unittest.TestCase):
    def test_defaults_are_the_papers(self) -> None:
        c = TrainConfig.from_json("")
        self.assertEqual((c.vision_blocks, c.text_blocks, c.margin, c.lr, c.batch_size, c.epochs, c.loss),
                         (3, 2, 0.3, 3e-5, 32, 10, "triplet"))

    def test_unknown_keys_and_types(self) -> None:
        with self.assertRaisesRegex(ValueError, r"unknown key\(s\) 'learning_rate', 'vison_blocks'"):
            TrainConfig.from_json('{"learning_rate": 1, "vison_blocks": 2}')
        with self.assertRaisesRegex(ValueError, "'epochs': \"3\" is not an integer"):
            TrainConfig.from_json('{"epochs": "3"}')
        with self.assertRaisesRegex(ValueError, "'batch_size': true is not an integer"):
            TrainConfig.from_json('{"batch_size": true}')
        with self.assertRaisesRegex(ValueError, "nothing to train"):
            TrainConfig.from_json('{"vision_blocks": 0, "text_blocks": 0}')
        with self.assertRaisesRegex(ValueError, "'margin'"):
            TrainConfig.from_json('{"margin": -1}')
        c = TrainConfig.from_json('{"lr": 1, "epochs": 2.0, "device": "cpu"}')
        self.assertEqual((c.lr, c.epochs, c.device), (1.0, 2, "cpu"))


class LossTest(unittest.TestCase):
    def test_hand_computed(self) -> None:
        # Triplet 1: a=(1,0), p=(0.6,0.8), n=(0.8,0.6):
        #   ‖a−p‖² = 0.4² + 0.8² = 0.8, ‖a−n‖² = 0.2² + 0.6² = 0.4 → 0.8 − 0.4 + 0.3 = 0.7
        #   cosine form: 0.3 − 0.6 + 0.8 = 0.5
        # Triplet 2: a=(1,0), p=(1,0), n=(0,1): 0 − 2 + 0.3 < 0 → 0; cosine: 0.3 − 1 + 0 < 0 → 0
        a = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
        p = torch.tensor([[0.6, 0.8], [1.0, 0.0]])
        n = torch.tensor([[0.8, 0.6], [0.0, 1.0]])
        self.assertAlmostEqual(float(triplet_loss(a, p, n, 0.3)), 0.35, places=6)
        w = torch.tensor([1.0, 3.0])
        self.assertAlmostEqual(float(triplet_loss(a, p, n, 0.3, w)), 0.7 / 4, places=6)
        self.assertAlmostEqual(float(triplet_loss(a, p, n, 0.3, w, LOSS_TRIPLET_COSINE)), 0.5 / 4, places=6)

    def test_gradient_is_zero_past_the_margin(self) -> None:
        a = torch.tensor([[1.0, 0.0]], requires_grad=True)
        triplet_loss(a, torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]]), 0.3).backward()
        self.assertTrue(torch.equal(a.grad, torch.zeros(1, 2)))


class TrainTest(helpers.TempDirTest):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tok = CLIPTokenizer(helpers.shared("data/clip/bpe_simple_vocab_16e6.txt.gz"))
        cls.pre = Preprocessor()
        cls.data = helpers.synthetic_triplets(40, seed=3)

    def train(self, cfg: str, train, val, model=None):
        events = []
        model = model if model is not None else helpers.tiny_model(seed=2)
        res = Trainer(model, self.tok, self.pre, torch.device("cpu"), TrainConfig.from_json(cfg)).train(train, val, events.append)
        return res, events

    def test_freezing(self) -> None:
        m = helpers.tiny_model()
        names = freeze(m, 3, 2)
        want = ([f"visual.transformer.resblocks.{i}." for i in (1, 2, 3)] + ["visual.ln_post."]
                + [f"transformer.resblocks.{i}." for i in (2, 3)] + ["ln_final.", "text_projection"])
        for name, p in m.named_parameters():
            self.assertEqual(p.requires_grad, any(name.startswith(w) for w in want), name)
        self.assertEqual(names, [n for n, p in m.named_parameters() if p.requires_grad])
        self.assertIn("text_projection", names)
        self.assertNotIn("visual.proj", names)
        self.assertNotIn("visual.transformer.resblocks.0.attn.in_proj_weight", names)
        with self.assertRaisesRegex(ValueError, "only 4 blocks"):
            freeze(m, 5, 2)
        # Text side only: the image tower is frozen entirely, ln_post included.
        names = freeze(m, 0, 1)
        self.assertFalse(any(n.startswith("visual.") for n in names))

    def test_one_step_changes_exactly_the_trainable_parameters(self) -> None:
        m = helpers.tiny_model()
        before = {k: v.clone() for k, v in m.state_dict().items()}
        res, _ = self.train('{"lr": 1e-3, "batch_size": 8, "epochs": 1}', self.data[:8], [], model=m)
        self.assertEqual(res.metrics["steps"], 1)
        trainable = set(res.trainable)
        after = res.model.state_dict()
        for k, v in before.items():
            if k in trainable:
                self.assertFalse(torch.equal(v, after[k]), f"{k} is trainable but did not change")
            else:
                self.assertTrue(torch.equal(v, after[k]), f"{k} is frozen but changed")

    def test_end_to_end_loss_decreases_and_is_deterministic(self) -> None:
        cfg = '{"lr": 1e-3, "batch_size": 8, "epochs": 4, "seed": 7}'
        res, events = self.train(cfg, self.data[:32], self.data[32:])
        m = res.metrics
        self.assertEqual(m["steps"], 16)
        self.assertLess(m["final_train_loss"], m["initial_train_loss"])
        self.assertLess(res.history[-1]["train_loss"], res.history[0]["train_loss"])
        self.assertGreaterEqual(m["final_train_accuracy"], m["initial_train_accuracy"])
        epochs = [e for e in events if not e.message]
        self.assertEqual([e.epoch for e in epochs], [0, 1, 2, 3, 4])
        self.assertTrue(all(e.has_validation and 0 <= e.validation_accuracy <= 1 and e.total_steps == 16 for e in epochs))
        self.assertTrue(events[0].message.startswith("training 32 triplets"))
        json.dumps(m)  # metrics are JSON
        print(f"\n  end-to-end: training loss {m['initial_train_loss']:.4f} -> {m['final_train_loss']:.4f}, "
              f"train accuracy {m['initial_train_accuracy']:.3f} -> {m['final_train_accuracy']:.3f}, "
              f"validation accuracy {m['initial_val_accuracy']:.3f} -> {m['final_val_accuracy']:.3f}")
        # Same seed, same thread count, CPU: the same run, bit for bit.
        res2, _ = self.train(cfg, self.data[:32], self.data[32:])
        self.assertEqual(res.history[1:], [dict(h, seconds=res.history[i + 1]["seconds"]) for i, h in enumerate(res2.history[1:])])
        for k, v in res.model.state_dict().items():
            self.assertTrue(torch.equal(v, res2.model.state_dict()[k]), k)

    def test_ties_count_as_correct_and_weights(self) -> None:
        t = self.data[0]
        tie = [helpers.Triplet(id="tie", prompt=t.prompt, preferred=t.preferred, other=t.preferred)]
        res, _ = self.train('{"epochs": 0}', self.data[:2], tie)
        self.assertEqual(res.metrics["initial_val_accuracy"], 1.0)
        with self.assertRaisesRegex(ValueError, "weight"):
            self.train('{"epochs": 0}', [helpers.Triplet("w", "p", t.preferred, t.other, weight=float("nan"))], [])

    def test_bad_image_is_named(self) -> None:
        t = self.data[0]
        bad = [helpers.Triplet(id="broken", prompt="x", preferred=t.preferred, other=b"not an image")]
        with self.assertRaisesRegex(ValueError, "training triplet 'broken': other image"):
            self.train('{"epochs": 1}', bad, [])


if __name__ == "__main__":
    unittest.main()
