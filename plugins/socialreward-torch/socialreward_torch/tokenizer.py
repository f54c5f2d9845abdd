"""CLIP's byte-level BPE tokenizer with ``clip.tokenize`` semantics.

Implemented from the description in shared/README.md and srbench's Go
tokenizer (harness/tokenize, OpenAI semantics), which it matches id for id:

1. ftfy.fix_text is replaced by NFC normalisation (ftfy is not in Debian;
   srbench's Go tokenizer makes the same substitution);
2. ``html.unescape`` twice, ``str.strip()``;
3. every run of ``\\s`` (the ``regex`` module's Unicode whitespace) to one
   space, ``str.strip()``;
4. ``str.lower()``;
5. the split pattern (IGNORECASE)
   ``<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+``;
   the exact texts ``<|startoftext|>`` and ``<|endoftext|>`` map to their ids;
6. each piece's UTF-8 bytes mapped to printable characters
   (``bytes_to_unicode``), ``</w>`` appended to the last symbol, and merged
   pairwise by rank (the lowest-ranked adjacent pair, all its occurrences
   left to right) until no pair is in the merge list;
7. ``[49406] + ids + [49407]``; longer than 77 → the first 77 kept and the
   last set to 49407; zero-padded to 77.

The attention mask (which OpenAI's code does not produce) is 1 up to and
including the end token, as srbench's Go tokenizer gives it.
"""

from __future__ import annotations

import gzip
import html
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Sequence, Tuple

import regex

START_TEXT = "<|startoftext|>"
END_TEXT = "<|endoftext|>"
#: Number of merges OpenAI's tokenizer uses from the vocabulary file.
N_MERGES = 49152 - 256 - 2
CONTEXT_LENGTH = 77

_SPLIT = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE,
)
_SPACES = regex.compile(r"\s+")


def bytes_to_unicode() -> Dict[int, str]:
    """The byte → character table of byte-level BPE: printable Latin-1
    bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves, the other 68
    bytes map to U+0100 onwards in byte order. Dict order is the
    vocabulary's order (printable bytes first)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    table: Dict[int, str] = {b: chr(b) for b in printable}
    n = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + n)
            n += 1
    return table


def clean(text: str) -> str:
    """Steps 1-4: the text as simple_tokenizer sees it before splitting."""
    s = unicodedata.normalize("NFC", text)
    s = html.unescape(html.unescape(s)).strip()
    s = _SPACES.sub(" ", s).strip()
    return s.lower()


@dataclass(frozen=True)
class Encoding:
    """One tokenized text: ``ids`` and ``attention_mask`` of CONTEXT_LENGTH
    entries; ``n_tokens_untruncated`` counts both special tokens."""

    ids: List[int]
    attention_mask: List[int]
    n_tokens_untruncated: int

    @property
    def truncated(self) -> bool:
        return self.n_tokens_untruncated > len(self.ids)


class CLIPTokenizer:
    """OpenAI CLIP's tokenizer loaded from ``bpe_simple_vocab_16e6.txt.gz``.
    Safe for concurrent use (the BPE cache is an lru_cache)."""

    def __init__(self, vocab_path: str, context_length: int = CONTEXT_LENGTH) -> None:
        if context_length < 2:
            raise ValueError(f"context length {context_length}: want at least 2")
        opener = gzip.open if _is_gzip(vocab_path) else open
        with opener(vocab_path, "rb") as f:
            lines = f.read().decode("utf-8").split("\n")
        if len(lines) < N_MERGES + 1:
            raise ValueError(f"{vocab_path}: {len(lines)} lines, want a header and at least {N_MERGES} merges")
        merges: List[Tuple[str, str]] = []
        for i, line in enumerate(lines[1 : N_MERGES + 1]):
            parts = line.split()
            if len(parts) != 2:
                raise ValueError(f"{vocab_path}: line {i + 2}: {line!r}: want two symbols")
            merges.append((parts[0], parts[1]))
        self.byte_encoder = bytes_to_unicode()
        chars = list(self.byte_encoder.values())
        vocab = chars + [c + "</w>" for c in chars] + ["".join(m) for m in merges] + [START_TEXT, END_TEXT]
        self.encoder: Dict[str, int] = {t: i for i, t in enumerate(vocab)}  # a later duplicate wins
        self.ranks: Dict[Tuple[str, str], int] = {m: i for i, m in enumerate(merges)}
        self.start_id = self.encoder[START_TEXT]
        self.end_id = self.encoder[END_TEXT]
        self.context_length = context_length
        self._bpe = lru_cache(maxsize=1 << 16)(self._bpe_uncached)

    def _bpe_uncached(self, piece: str) -> Tuple[str, ...]:
        """The BPE symbols of one byte-encoded piece."""
        if piece in (START_TEXT, END_TEXT):
            return (piece,)
        word: Tuple[str, ...] = tuple(piece[:-1]) + (piece[-1] + "</w>",)
        while len(word) > 1:
            best, best_rank = None, None
            for pair in zip(word, word[1:]):
                r = self.ranks.get(pair)
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = pair, r
            if best is None:
                break
            a, b = best
            merged: List[str] = []
            i = 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
                    merged.append(a + b)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = tuple(merged)
        return word

    def encode_body(self, text: str) -> List[int]:
        """The ids of text without the special tokens and untruncated."""
        ids: List[int] = []
        for piece in _SPLIT.findall(clean(text)):
            if piece in (START_TEXT, END_TEXT):
                ids.append(self.encoder[piece])
                continue
            enc = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[s] for s in self._bpe(enc))
        return ids

    def encode(self, text: str) -> Encoding:
        """``clip.tokenize(text, context_length, truncate=True)`` plus a mask."""
        body = self.encode_body(text)
        n = len(body) + 2
        body = body[: self.context_length - 2]
        ids = [self.start_id] + body + [self.end_id]
        used = len(ids)
        pad = self.context_length - used
        return Encoding(ids=ids + [0] * pad, attention_mask=[1] * used + [0] * pad, n_tokens_untruncated=n)

    def __call__(self, texts: Sequence[str]) -> "torch.Tensor":  # noqa: F821
        """A [len(texts), context_length] int64 tensor, like clip.tokenize."""
        import torch

        return torch.tensor([self.encode(t).ids for t in texts], dtype=torch.int64)


def _is_gzip(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"
