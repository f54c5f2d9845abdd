"""The OpenAI-format CLIP: state-dict layout, dimensions read back from it,
causal text pooling at the end token."""

import io
import unittest

import torch

import helpers
from socialreward_torch.model import CLIP_VOCAB, RandomSpec, build_model, clean_state_dict, config_from_state_dict, init_random


class ModelTest(unittest.TestCase):
    def test_state_dict_layout(self) -> None:
        m = helpers.tiny_model()
        keys = set(m.state_dict())
        want = {
            "visual.conv1.weight", "visual.class_embedding", "visual.positional_embedding", "visual.ln_pre.weight",
            "visual.ln_pre.bias", "visual.ln_post.weight", "visual.ln_post.bias", "visual.proj",
            "token_embedding.weight", "positional_embedding", "ln_final.weight", "ln_final.bias", "text_projection",
            "logit_scale",
        }
        for tower in ("visual.transformer", "transformer"):
            for i in range(4):
                b = f"{tower}.resblocks.{i}."
                want |= {b + k for k in ("attn.in_proj_weight", "attn.in_proj_bias", "attn.out_proj.weight",
                                         "attn.out_proj.bias", "ln_1.weight", "ln_1.bias", "mlp.c_fc.weight",
                                         "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias", "ln_2.weight", "ln_2.bias")}
        self.assertEqual(keys, want)
        sd = m.state_dict()
        self.assertEqual(tuple(sd["visual.conv1.weight"].shape), (32, 3, 32, 32))
        self.assertEqual(tuple(sd["visual.positional_embedding"].shape), (50, 32))
        self.assertEqual(tuple(sd["transformer.resblocks.0.attn.in_proj_weight"].shape), (96, 32))
        self.assertEqual(tuple(sd["transformer.resblocks.0.mlp.c_fc.weight"].shape), (128, 32))

    def test_round_trip_through_state_dict(self) -> None:
        m = init_random(RandomSpec(vocab_size=CLIP_VOCAB, vision_layers=2, text_layers=3, embed_dim=24), 5).eval()
        buf = io.BytesIO()
        torch.save(m.state_dict(), buf)
        buf.seek(0)
        sd = clean_state_dict(torch.load(buf))
        cfg = config_from_state_dict(sd, 4, 4)
        self.assertEqual(cfg, m.config)
        # Without heads, OpenAI's rule width // 64 (at least 1).
        self.assertEqual(config_from_state_dict(sd).vision_heads, 1)
        m2 = build_model(sd, 4, 4).eval()
        ids = torch.zeros(2, 77, dtype=torch.int64)
        ids[:, 0], ids[0, 1], ids[0, 2], ids[1, 1] = 49406, 320, 49407, 49407
        px = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            self.assertTrue(torch.equal(m.encode_text(ids), m2.encode_text(ids)))
            self.assertTrue(torch.equal(m.encode_image(px), m2.encode_image(px)))
        with self.assertRaisesRegex(ValueError, "missing"):
            build_model({k: v for k, v in sd.items() if k != "visual.proj"}, 4, 4)

    def test_clean_state_dict(self) -> None:
        # Wrapped, DataParallel prefixes, float16 (OpenAI's release dtype) and
        # the JIT archives' extra scalar keys.
        sd = helpers.tiny_model().state_dict()
        wrapped = {"state_dict": {"module." + k: v.half() for k, v in sd.items()}, "epoch": 3}
        wrapped["state_dict"]["module.input_resolution"] = torch.tensor(224)
        got = clean_state_dict(wrapped)
        self.assertEqual(set(got), set(sd))
        self.assertTrue(all(v.dtype == torch.float32 for v in got.values()))

    def test_text_pools_at_end_token_causally(self) -> None:
        m = helpers.tiny_model()
        ids = torch.zeros(1, 77, dtype=torch.int64)
        ids[0, :4] = torch.tensor([49406, 320, 1125, 49407])
        other = ids.clone()
        other[0, 10:20] = 777  # after the end token: invisible to it
        changed = ids.clone()
        changed[0, 2] = 1126  # before it: visible
        with torch.no_grad():
            a, b, c = m.encode_text(ids), m.encode_text(other), m.encode_text(changed)
        self.assertTrue(torch.equal(a, b))
        self.assertFalse(torch.allclose(a, c))

    def test_heads_must_divide_width(self) -> None:
        with self.assertRaisesRegex(ValueError, "multiple"):
            init_random(RandomSpec(text_heads=3), 0)


if __name__ == "__main__":
    unittest.main()
