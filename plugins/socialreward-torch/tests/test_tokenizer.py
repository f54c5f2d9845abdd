"""The CLIP tokenizer against every golden row of shared/golden/clip_tokens.jsonl
(made with OpenAI's simple_tokenizer and clip.tokenize(truncate=True)). Tolerance: exact."""

import json
import unittest

import helpers  # noqa: F401  (import path)
from socialreward_torch.tokenizer import CLIPTokenizer, clean


class TokenizerGoldenTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tok = CLIPTokenizer(helpers.shared("data/clip/bpe_simple_vocab_16e6.txt.gz"))
        with open(helpers.shared("golden/clip_tokens.jsonl"), encoding="utf-8") as f:
            cls.rows = [json.loads(line) for line in f if line.strip()]

    def test_all_goldens(self) -> None:
        self.assertEqual(len(self.rows), 80)
        truncated = 0
        for i, r in enumerate(self.rows):
            with self.subTest(row=i, text=r["text"][:60]):
                e = self.tok.encode(r["text"])
                self.assertEqual(e.ids, r["ids"])
                self.assertEqual(e.n_tokens_untruncated, r["n_tokens_untruncated"])
                self.assertEqual(e.truncated, r["truncated"])
                truncated += e.truncated
                # The mask is 1 up to and including the end token, which is the argmax.
                end = e.ids.index(49407)
                self.assertEqual(e.attention_mask, [1] * (end + 1) + [0] * (77 - end - 1))
                self.assertEqual(max(range(77), key=lambda k: e.ids[k]), end)
        self.assertGreater(truncated, 0, "the goldens should include truncated texts")

    def test_batch_tensor(self) -> None:
        t = self.tok([r["text"] for r in self.rows[:3]])
        self.assertEqual(tuple(t.shape), (3, 77))
        self.assertEqual(t.dtype.__str__(), "torch.int64")
        self.assertEqual(t[1].tolist(), self.rows[1]["ids"])

    def test_special_tokens_and_cleaning(self) -> None:
        self.assertEqual(self.tok.encode("").ids[:3], [49406, 49407, 0])
        # The exact special texts map to their ids (simple_tokenizer's cache);
        # "a</w>" and "b</w>" are 256 + their byte-table positions 64 and 65.
        self.assertEqual(self.tok.encode("a <|endoftext|> b").ids[:5], [49406, 320, 49407, 321, 49407])
        self.assertEqual(clean("  A&amp;amp;B \t\n C  "), "a&b c")


if __name__ == "__main__":
    unittest.main()
