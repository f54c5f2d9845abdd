"""Model directories: the exported ONNX towers (structure and size; their
numbers are checked against ONNX Runtime by torch_test.go, since ONNX Runtime
is not available to Python here), model.pt, srbench.yaml and the
fingerprint srbench's Go side computes."""

import hashlib
import os
import unittest

import torch
import yaml

import helpers
from socialreward_torch import export, modeldir
from socialreward_torch.model import normalize


class ExportTest(helpers.TempDirTest):
    def test_model_dir(self) -> None:
        m = helpers.tiny_model(seed=4)
        out = os.path.join(self.tmp, "out")
        export.write_model_dir(m, out, helpers.shared("data/clip/bpe_simple_vocab_16e6.txt.gz"), "a test", training={"k": 1})
        self.assertEqual(sorted(os.listdir(out)), ["bpe_simple_vocab_16e6.txt.gz", "model.pt", "srbench.yaml",
                                                   "text_model.onnx", "training.json", "vision_model.onnx"])
        for name, names in (("text_model.onnx", [b"input_ids", b"attention_mask", b"text_embeds"]),
                            ("vision_model.onnx", [b"pixel_values", b"image_embeds"])):
            with open(os.path.join(out, name), "rb") as f:
                data = f.read()
            self.assertLess(len(data), 1 << 20, f"{name} is {len(data)} bytes")
            for n in names:
                self.assertIn(n, data, f"{name} lacks {n!r}")
        with open(os.path.join(out, "srbench.yaml"), encoding="utf-8") as f:
            y = yaml.safe_load(f)
        self.assertEqual(y["kind"], "socialreward")
        self.assertEqual(y["strings"], {"tokenizer": "bpe_simple_vocab_16e6.txt.gz", "pipeline": "openai"})
        # model.pt loads back to the same model.
        d = modeldir.load(out)
        ids = torch.zeros(1, 77, dtype=torch.int64)
        ids[0, :3] = torch.tensor([49406, 320, 49407])
        with torch.no_grad():
            self.assertTrue(torch.equal(m.encode_text(ids), d.model.encode_text(ids)))
        # The exported text tower ignores attention_mask, exactly.
        tower = export.TextTower(m)
        with torch.no_grad():
            a = tower(ids, (ids != 0).long())
            b = tower(ids, torch.zeros_like(ids))
        self.assertTrue(torch.equal(a, b))
        self.assertTrue(torch.equal(a, normalize(m.encode_text(ids).detach())))

    def test_fingerprint_is_srbench_go(self) -> None:
        d = os.path.join(self.tmp, "fp")
        os.makedirs(os.path.join(d, "sub"))
        for rel, content in (("b.txt", b"bee"), ("a.txt", b"ay"), ("sub/c", b"")):
            with open(os.path.join(d, rel), "wb") as f:
                f.write(content)
        os.symlink(os.path.join(d, "a.txt"), os.path.join(d, "link"))
        h = hashlib.sha256()
        for rel, content in (("a.txt", b"ay"), ("b.txt", b"bee"), ("link", b"ay"), ("sub/c", b"")):
            h.update(rel.encode() + b"\0" + str(len(content)).encode() + b"\0" + content)
        self.assertEqual(modeldir.fingerprint(d), "sha256:" + h.hexdigest())

    def test_manifest_errors(self) -> None:
        d = helpers.tiny_model_dir(self.tmp)
        with open(os.path.join(d, "srbench.yaml"), "a", encoding="utf-8") as f:
            f.write("extra: 1\n")
        with self.assertRaisesRegex(ValueError, "unknown field"):
            modeldir.load(d)
        with open(os.path.join(d, "srbench.yaml"), "w", encoding="utf-8") as f:
            f.write("kind: clipscore\n")
        with self.assertRaisesRegex(ValueError, "kind"):
            modeldir.load(d)


if __name__ == "__main__":
    unittest.main()
