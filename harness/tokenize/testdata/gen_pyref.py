#!/usr/bin/python3
"""Reference outputs of Python for the tokenize package tests.

Run with the system Python (stdlib only):

    /usr/bin/python3 harness/tokenize/testdata/gen_pyref.py

It writes, next to this script:

pyref.json
    Python's own string primitives that OpenAI's simple_tokenizer relies on:
    the str.isspace() set, str.lower() of every code point (and of strings
    around capital sigma, whose lowercase depends on context), the HTML5
    entity table of html.unescape, html.unescape of every numeric character
    reference, and html.unescape of seeded random entity soup.

clip_edge.jsonl
    Token ids for edge-case texts made by an independent Python implementation
    of CLIP tokenisation in two flavours:
    - "openai": clip.tokenize(text, context_length=77, truncate=True) of
      openai/CLIP simple_tokenizer.py with ftfy replaced by NFC. The `regex`
      module is not installed here, so the split pattern is expressed with the
      stdlib `re` module and explicit character classes for \\p{L}, \\p{N} and
      \\s (White_Space) built from unicodedata; the case-insensitive flag of the
      original pattern only matters for its literal alternatives and is scoped
      to them. Before writing anything the script checks that this
      implementation reproduces every row of shared/golden/clip_tokens.jsonl.
    - "hf": Hugging Face CLIPTokenizerFast semantics (tokenizer.json made by
      transformers' CLIPConverter): NFC, \\s+ -> " ", per-character lowercase
      (no final-sigma context), added tokens <|startoftext|>/<|endoftext|>
      matched in the normalised text, the split pattern without the special
      alternatives and without IGNORECASE, BPE, [49406] + ids[:75] + [49407],
      padded to 77 with 49407 and an attention mask.
    The texts are chosen to use only characters whose properties did not change
    between Unicode 14 (this Python) and 15 (Go).
"""

import gzip
import html
import html.entities
import json
import os
import random
import re
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared"))
VOCAB = os.path.join(SHARED, "data", "clip", "bpe_simple_vocab_16e6.txt.gz")
GOLDEN = os.path.join(SHARED, "golden", "clip_tokens.jsonl")

MAXCP = 0x110000


def is_surrogate(cp):
    return 0xD800 <= cp <= 0xDFFF


# ---------------------------------------------------------------- primitives

def ranges(cps):
    """Compress a sorted list of ints into [lo, hi] ranges."""
    out = []
    for c in cps:
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return out


def gen_pyref(rng):
    ref = {
        "python": sys.version.split()[0],
        "unicodedata": unicodedata.unidata_version,
    }
    ref["isspace"] = [c for c in range(MAXCP) if not is_surrogate(c) and chr(c).isspace()]
    ref["unassigned"] = ranges([c for c in range(MAXCP)
                                if not is_surrogate(c) and unicodedata.category(chr(c)) == "Cn"])
    ref["lower"] = [[c, chr(c).lower()] for c in range(MAXCP)
                    if not is_surrogate(c) and chr(c).lower() != chr(c)]

    # Python's final-sigma rule (unicodeobject.c handle_capital_sigma) skips
    # Case_Ignorable characters in both directions and then asks whether the
    # next character is Cased. Both properties are read back through lower():
    # "A" c "Σ" ends in final sigma iff c is case-ignorable or cased;
    # " " c "Σ" does iff c is cased and not case-ignorable.
    ign, cased = [], []
    for c in range(MAXCP):
        if is_surrogate(c):
            continue
        ch = chr(c)
        a = ("A" + ch + "Σ").lower().endswith("ς")
        b = (" " + ch + "Σ").lower().endswith("ς")
        if a and not b:
            ign.append(c)
        if b:
            cased.append(c)
    ref["case_ignorable"] = ranges(ign)
    ref["cased_not_ignorable"] = ranges(cased)

    # Strings around capital sigma: cased letters, case-ignorable characters
    # (apostrophe, middle dot, combining marks, soft hyphen, modifier letters),
    # uncased characters and spaces.
    pool = ["Σ", "Σ", "Σ", "Α", "α", "a", "B", "'", "\u00b7", "\u0308", "\u00ad",
            "\u02b0", " ", ".", "1", "-", "\u0345", "ǅ", "ß", "ῼ", "\u2019", "\u200d"]
    ctx = set()
    while len(ctx) < 400:
        n = rng.randint(1, 7)
        ctx.add("".join(rng.choice(pool) for _ in range(n)))
    ref["lower_context"] = [[s, s.lower()] for s in sorted(ctx)]

    ref["html5"] = html.entities.html5

    # Numeric references: every code point (and some beyond) where the result
    # is not simply chr(n).
    exc = []
    for n in list(range(MAXCP)) + [0x110000, 0x10FFFFF, 2**31, 2**32 + 65, 10**30]:
        for form in ("&#%d;" % n, "&#x%x;" % n):
            got = html.unescape(form)
            if is_surrogate(n) or n >= MAXCP or got != chr(n):
                exc.append([form, got])
    ref["charref_exceptions"] = exc

    frags = ["&", "&", "&", "#", "#x", "#X", "x", ";", ";", "amp", "AMP", "lt", "gt",
             "not", "notin", "it", "AElig", "fjlig", "nbsp", "copy", "frac12",
             "CounterClockwiseContourIntegral", "0", "9", "65", "128512", "1F600",
             "fffe", "d800", " ", "\t", "\n", "\r", "\f", "é", "<", "=", "a", "Z",
             "quot", "apos", "nbs", "middot", "ampx", "lt;", "&amp;", "&#38;"]
    cases = set()
    while len(cases) < 3000:
        n = rng.randint(1, 9)
        cases.add("".join(rng.choice(frags) for _ in range(n)))
    cases.add("&" + "a" * 40 + ";")
    cases.add("&amp" + "b" * 40)
    cases.add("&" + "x" * 31 + "amp;")
    ref["unescape"] = [[s, html.unescape(s), html.unescape(html.unescape(s))] for s in sorted(cases)]
    return ref


# ---------------------------------------------------------------- CLIP reference

def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def char_class(pred):
    """A regex character-class body for all code points where pred holds."""
    cps = [c for c in range(MAXCP) if not is_surrogate(c) and pred(chr(c))]
    parts = []
    for lo, hi in ranges(cps):
        if lo == hi:
            parts.append(re.escape(chr(lo)))
        else:
            parts.append(re.escape(chr(lo)) + "-" + re.escape(chr(hi)))
    return "".join(parts)


WHITE_SPACE = [0x9, 0xA, 0xB, 0xC, 0xD, 0x20, 0x85, 0xA0, 0x1680] + \
    list(range(0x2000, 0x200B)) + [0x2028, 0x2029, 0x202F, 0x205F, 0x3000]


class CLIPRef:
    def __init__(self):
        self.byte_encoder = bytes_to_unicode()
        merges = gzip.open(VOCAB).read().decode("utf-8").split("\n")
        merges = merges[1:49152 - 256 - 2 + 1]
        merges = [tuple(m.split()) for m in merges]
        vocab = list(self.byte_encoder.values())
        vocab = vocab + [v + "</w>" for v in vocab]
        for m in merges:
            vocab.append("".join(m))
        vocab.extend(["<|startoftext|>", "<|endoftext|>"])
        self.encoder = dict(zip(vocab, range(len(vocab))))
        self.bpe_ranks = dict(zip(merges, range(len(merges))))
        L = char_class(lambda ch: unicodedata.category(ch).startswith("L"))
        N = char_class(lambda ch: unicodedata.category(ch).startswith("N"))
        S = "".join(re.escape(chr(c)) for c in WHITE_SPACE)
        self.ws = re.compile("[" + S + "]+")
        self.pat_openai = re.compile(
            r"(?i:<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d)"
            "|[" + L + "]+|[" + N + "]|[^" + S + L + N + "]+")
        self.pat_hf = re.compile(
            r"'s|'t|'re|'ve|'m|'ll|'d"
            "|[" + L + "]+|[" + N + "]|[^" + S + L + N + "]+")

    def bpe(self, token, special):
        if special and token in ("<|startoftext|>", "<|endoftext|>"):
            return [token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
        if not pairs:
            return [token + "</w>"]
        while True:
            bigram = min(pairs, key=lambda p: self.bpe_ranks.get(p, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                except ValueError:
                    new_word.extend(word[i:])
                    break
                new_word.extend(word[i:j])
                i = j
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
        return list(word)

    def piece_ids(self, piece, special):
        tok = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
        return [self.encoder[t] for t in self.bpe(tok, special)]

    def openai(self, text):
        text = unicodedata.normalize("NFC", text)  # stands in for ftfy.fix_text
        text = html.unescape(html.unescape(text)).strip()
        text = self.ws.sub(" ", text).strip()
        text = text.lower()
        ids = []
        for piece in self.pat_openai.findall(text):
            ids.extend(self.piece_ids(piece, True))
        full = [49406] + ids + [49407]
        n = len(full)
        out = full[:77]
        truncated = n > 77
        if truncated:
            out[-1] = 49407
        out = out + [0] * (77 - len(out))
        return out, n, truncated

    def hf(self, text):
        text = unicodedata.normalize("NFC", text)
        text = self.ws.sub(" ", text)
        text = "".join(ch.lower() for ch in text)
        ids = []
        for seg in re.split(r"(<\|startoftext\|>|<\|endoftext\|>)", text):
            if seg == "<|startoftext|>":
                ids.append(49406)
            elif seg == "<|endoftext|>":
                ids.append(49407)
            else:
                for piece in self.pat_hf.findall(seg):
                    ids.extend(self.piece_ids(piece, False))
        n = len(ids) + 2
        ids = [49406] + ids[:75] + [49407]
        mask = [1] * len(ids) + [0] * (77 - len(ids))
        ids = ids + [49407] * (77 - len(ids))
        return ids, mask, n, n > 77


EDGE_TEXTS = [
    "", " ", "   \t\n  ", "\u3000\u00a0\u2028",
    "ΟΔΟΣ", "ΟΔΟΣ ΟΔΟΣ.", "ΣΑΣ", "Σ", "ΑΣ'Α", "ΟΔΟΣ\u0308", "ὈΔΥΣΣΕΎΣ",
    "İ", "İstanbul", "DİYARBAKIR", "ǅungla ǈ", "STRASSE ẞ", "ΐ",
    "it'S 'ſ ſ's", "'ſtartoftext", "<|ſtartoftext|>",
    "<|startoftext|>hello<|endoftext|>", "a<|ENDOFTEXT|>b", "!<|endoftext|>", "<|endoftext|>!",
    "&amp;amp;amp;", "&amp;lt;3", "AT&T", "fish &chips &", "&lt&gt&lt;",
    "&notit; &notin; &ampx &AMP; &AMP",
    "&#128512; &#x1F600 &#0; &#1; &#13; &#x110000; &#99999999999; &#128; &#x9F; &#65",
    "&#9", "x&#x2028;y", "&#x41;&#x0042;&#67", "&fjlig; &CounterClockwiseContourIntegral;",
    "\x1c leading", "trailing \x1f", "a\x1cb", "a\u2028b", "a\u00a0b\u3000c", "tab\tsep\x0bv\x0cf\rr",
    "e\u0301 cafe\u0301 Å ﬁ ｆｕｌｌ １２３ Ⅻ ½ ٣ x²",
    "🐶🐶🐶 👩\u200d👩\u200d👧 ☀️", "한국어 텍스트", "ภาษาไทย", "हिन्दी", "العربية", "עברית",
    "can't won't y'all rock'n'roll '''", "'s's's 'll'd", "--ar 16:9 --v 5.2",
    "http://x.y/z?a=1&b=2", "#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "a" * 200, "ab" * 150, "🙂" * 60, "猫" * 100,
    " ".join(["masterpiece"] * 100),
    "A cozy cabin in the snowy mountains at twilight, " * 300,
    "x" * 12000,
]


def gen_clip_edge(ref, rng):
    # Random texts over a pool of characters from all the classes the split
    # pattern distinguishes (all assigned long before Unicode 14).
    pool = list("aAzZ019 '.,!?-_:;()[]<>|&#/\\\"") + \
        ["é", "Σ", "σ", "İ", "ß", "猫", "한", "ا", "\u0301", "\u0308", "\u00a0", "\u2028", "\n", "\t",
         "\u3000", "①", "½", "٣", "🙂", "€", "\u200b", "\x1c", "ſ", "ǅ", "Ⅻ", "'s", "'ll", "amp;", "&lt;"]
    texts = list(EDGE_TEXTS)
    for _ in range(150):
        n = rng.randint(1, 30)
        texts.append("".join(rng.choice(pool) for _ in range(n)))
    rows = []
    for t in texts:
        ids, n, tr = ref.openai(t)
        hids, hmask, hn, htr = ref.hf(t)
        rows.append({"text": t, "openai": {"ids": ids, "n_tokens_untruncated": n, "truncated": tr},
                     "hf": {"ids": hids, "attention_mask": hmask, "n_tokens_untruncated": hn, "truncated": htr}})
    return rows


def main():
    rng = random.Random(20240601)
    ref = CLIPRef()
    # The reference must reproduce the lead's golden before it may speak.
    bad = 0
    with open(GOLDEN, encoding="utf-8") as f:
        for i, line in enumerate(f):
            row = json.loads(line)
            ids, n, tr = ref.openai(row["text"])
            if ids != row["ids"] or n != row["n_tokens_untruncated"] or tr != row["truncated"]:
                print("golden row %d differs: %r" % (i, row["text"]), file=sys.stderr)
                bad += 1
    if bad:
        sys.exit("reference implementation disagrees with %d golden rows" % bad)

    with open(os.path.join(HERE, "pyref.json"), "w", encoding="utf-8") as f:
        json.dump(gen_pyref(rng), f, ensure_ascii=True, separators=(",", ":"))
        f.write("\n")
    with open(os.path.join(HERE, "clip_edge.jsonl"), "w", encoding="utf-8") as f:
        for row in gen_clip_edge(ref, rng):
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
