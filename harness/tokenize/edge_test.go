package tokenize

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// decodeCLIP maps ids back to text through the byte-level table: "</w>"
// ends a piece (written as a space), the special tokens are written as
// their text. It is the inverse a correct encoder must satisfy.
func decodeCLIP(t *testing.T, c *CLIP, ids []int64) string {
	t.Helper()
	_, char := bytesToUnicode()
	back := map[rune]byte{}
	for b := 0; b < 256; b++ {
		back[char[b]] = byte(b)
	}
	var out []byte
	for _, id := range ids {
		if id == c.start || id == c.end {
			continue
		}
		tok, ok := c.Token(id)
		if !ok {
			t.Fatalf("id %d not in the vocabulary", id)
		}
		eow := strings.HasSuffix(tok, "</w>")
		tok = strings.TrimSuffix(tok, "</w>")
		for _, r := range tok {
			b, ok := back[r]
			if !ok {
				t.Fatalf("token %q has a non byte-level character %q", tok, r)
			}
			out = append(out, b)
		}
		if eow {
			out = append(out, ' ')
		}
	}
	return string(out)
}

func encode(t *testing.T, tk Tokenizer, s string) Encoding {
	t.Helper()
	e, err := tk.Encode(s)
	if err != nil {
		t.Fatalf("Encode(%q): %v", s, err)
	}
	return e
}

// body returns the ids between the start token and the end token.
func body(e Encoding) []int64 {
	n := min(e.NTokensUntruncated, len(e.IDs))
	return e.IDs[1 : n-1]
}

func TestCLIPEdgeCases(t *testing.T) {
	t.Parallel()
	o := openAICLIP(t)
	h := hfCLIP(t)
	emptyIDs := make([]int64, 77)
	emptyIDs[0], emptyIDs[1] = 49406, 49407
	emptyMask := make([]int64, 77)
	emptyMask[0], emptyMask[1] = 1, 1
	emptyHF := slices.Repeat([]int64{49407}, 77)
	emptyHF[0] = 49406

	t.Run("empty and blank", func(t *testing.T) {
		for _, s := range []string{"", " ", "\t\n\r ", "\u3000\u00a0\u2028", "\x1c\x1f"} {
			e := encode(t, o, s)
			want := Encoding{IDs: emptyIDs, AttentionMask: emptyMask, NTokensUntruncated: 2}
			if diff := cmp.Diff(want, e); diff != "" {
				t.Errorf("openai %q (-want +got):\n%s", s, diff)
			}
		}
		for _, s := range []string{"", " ", "\t\n\r ", "\u3000\u00a0\u2028"} {
			e := encode(t, h, s)
			want := Encoding{IDs: emptyHF, AttentionMask: emptyMask, NTokensUntruncated: 2}
			if diff := cmp.Diff(want, e); diff != "" {
				t.Errorf("hf %q (-want +got):\n%s", s, diff)
			}
		}
	})

	// Decoding the ids must give back the cleaned text, one space after
	// each piece of the split pattern.
	roundTrips := []struct{ in, want string }{
		{"A photo of a cat", "a photo of a cat "},
		{"  Mountain   lake\n\nat dawn ", "mountain lake at dawn "},
		{"it's 4k!!!", "it 's 4 k !!! "},
		{"ΟΔΟΣ", "οδος "},              // final sigma
		{"ΟΔΟΣ ΟΔΟΣ.", "οδος οδος . "}, // final before a space and before '.'
		{"ΣΑΣ", "σας "},                // initial capital sigma is not final
		{"İstanbul", "i \u0307 stanbul "},
		{"猫と犬", "猫と犬 "},
		{"café ☕", "café ☕ "},
		{"Tom &amp; Jerry &lt;3", "tom & jerry < 3 "},
		{"&amp;amp;amp;", "& amp ; "}, // unescaped exactly twice
		{"x\u00a0y\u2003z", "x y z "},
		{"a\x1cb", "a \x1c b "}, // FS is not \s for the regex but is stripped at the ends
		{"'S 'ſ", "'s 'ſ "},     // IGNORECASE: 'ſ matches 's
		{"e\u0301", "é "},       // NFC
	}
	for _, rt := range roundTrips {
		t.Run("roundtrip "+rt.in, func(t *testing.T) {
			e := encode(t, o, rt.in)
			if got := decodeCLIP(t, o, e.IDs[:e.NTokensUntruncated]); got != rt.want {
				t.Errorf("decode(encode(%q)) = %q, want %q", rt.in, got, rt.want)
			}
		})
	}

	t.Run("final sigma differs between semantics", func(t *testing.T) {
		e := encode(t, h, "ΟΔΟΣ")
		if got := decodeCLIP(t, h, e.IDs[:e.NTokensUntruncated]); got != "οδοσ " {
			t.Errorf("hf: %q, want per-character lowercase %q", got, "οδοσ ")
		}
	})

	t.Run("html entities are not unescaped by HF", func(t *testing.T) {
		e := encode(t, h, "Tom &amp; Jerry")
		if got := decodeCLIP(t, h, e.IDs[:e.NTokensUntruncated]); got != "tom & amp ; jerry " {
			t.Errorf("hf: %q", got)
		}
	})

	t.Run("special token text", func(t *testing.T) {
		e := encode(t, o, "a<|endoftext|>b")
		want := []int64{49406, int64(o.bpe.ids["a</w>"]), 49407, int64(o.bpe.ids["b</w>"]), 49407}
		if diff := cmp.Diff(want, e.IDs[:5]); diff != "" {
			t.Errorf("openai (-want +got):\n%s", diff)
		}
		if e.NTokensUntruncated != 5 || !slices.Equal(e.AttentionMask[:6], []int64{1, 1, 1, 1, 1, 0}) {
			t.Errorf("n = %d, mask %v", e.NTokensUntruncated, e.AttentionMask[:6])
		}
		// Hugging Face matches the added token after normalisation.
		e = encode(t, h, "a<|ENDOFTEXT|>b")
		if diff := cmp.Diff(want, e.IDs[:5]); diff != "" {
			t.Errorf("hf (-want +got):\n%s", diff)
		}
	})

	t.Run("long text", func(t *testing.T) {
		long := strings.Repeat("a watercolor painting of a fox, ", 400) // 12800 characters
		for _, tk := range []*CLIP{o, h} {
			e := encode(t, tk, long)
			if len(e.IDs) != 77 || len(e.AttentionMask) != 77 {
				t.Fatalf("lengths %d, %d", len(e.IDs), len(e.AttentionMask))
			}
			// 7 pieces, one token each, per repetition: a watercolor painting of a fox ,
			if want := 2 + 7*400; e.NTokensUntruncated != want || !e.Truncated {
				t.Errorf("n = %d truncated = %v, want %d true", e.NTokensUntruncated, e.Truncated, want)
			}
			if e.IDs[0] != 49406 || e.IDs[76] != 49407 || slices.Contains(e.AttentionMask, 0) {
				t.Errorf("ids[0]=%d ids[76]=%d mask %v", e.IDs[0], e.IDs[76], e.AttentionMask)
			}
			if got := decodeCLIP(t, tk, e.IDs); !strings.HasPrefix(got, "a watercolor painting of a fox , a watercolor") {
				t.Errorf("decoded prefix %q", got[:40])
			}
		}
	})

	t.Run("long unbroken word", func(t *testing.T) {
		s := strings.Repeat("abcdefghij", 1200)
		e := encode(t, o, s)
		if !e.Truncated || e.NTokensUntruncated < 100 {
			t.Errorf("n = %d truncated = %v", e.NTokensUntruncated, e.Truncated)
		}
		e2 := encode(t, o, s+"x")
		if e2.NTokensUntruncated < e.NTokensUntruncated-1 {
			t.Errorf("appending a letter shrank the count from %d to %d", e.NTokensUntruncated, e2.NTokensUntruncated)
		}
	})

	t.Run("exactly 77", func(t *testing.T) {
		s := strings.TrimSpace(strings.Repeat("cat ", 75))
		e := encode(t, o, s)
		if e.NTokensUntruncated != 77 || e.Truncated || e.IDs[76] != 49407 || e.IDs[75] == 49407 {
			t.Errorf("n = %d truncated = %v last ids %v", e.NTokensUntruncated, e.Truncated, e.IDs[74:])
		}
		e = encode(t, o, s+" cat")
		if e.NTokensUntruncated != 78 || !e.Truncated || e.IDs[76] != 49407 {
			t.Errorf("n = %d truncated = %v last ids %v", e.NTokensUntruncated, e.Truncated, e.IDs[74:])
		}
	})
}

func TestBERTEdgeCases(t *testing.T) {
	t.Parallel()
	b := imageRewardBERT(t)
	v := b.vocab
	id := func(tok string) int64 {
		t.Helper()
		x, ok := v[tok]
		if !ok {
			t.Fatalf("test precondition: %q is not in the vocabulary", tok)
		}
		return int64(x)
	}
	notInVocab := func(tok string) {
		t.Helper()
		if _, ok := v[tok]; ok {
			t.Fatalf("test precondition: %q is in the vocabulary", tok)
		}
	}
	notInVocab("😀")
	notInVocab("##😀")
	tests := []struct {
		name string
		in   string
		want []int64 // body between [CLS] and [SEP]
	}{
		{"empty", "", nil},
		{"blank", " \t\n\u3000 ", nil},
		{"lowercase", "HELLO World", []int64{id("hello"), id("world")}},
		{"accents stripped", "Café Résumé naïve Pokémon", []int64{id("cafe"), id("resume"), id("naive"), id("pokemon")}},
		{"dotted capital I", "İ", []int64{id("i")}},
		{"per-character lowercase, no final sigma", "ΣΟΣ", []int64{id("σ"), id("##ο"), id("##σ")}},
		{"CJK padded", "一只猫", []int64{id("一"), id("[UNK]"), id("[UNK]")}}, // 只 and 猫 are not in the vocabulary
		{"ASCII symbols are punctuation", "$5+x", []int64{id("$"), id("5"), id("+"), id("x")}},
		{"Unicode punctuation", "«hi»", []int64{id("«"), id("hi"), id("»")}},
		{"controls dropped", "ab\x00c\u200bd\ufffde", []int64{id("abc"), id("##de")}},
		{"word with unknown character", "a cat😀dog", []int64{id("a"), id("[UNK]")}},
		{"lone unknown character", "😀", []int64{id("[UNK]")}},
		{"100 characters is still a word", strings.Repeat("a", 100), nil}, // checked below
		{"101 characters is unknown", strings.Repeat("a", 101), []int64{id("[UNK]")}},
		{"special token text", "a [MASK] b [SEP]", []int64{id("a"), 103, id("b"), 102}},
		{"ImageReward tokens", "[DEC] x [ENC]", []int64{30522, id("x"), 30523}},
		{"special tokens are case-sensitive", "[dec]", []int64{id("["), id("dec"), id("]")}},
		{"leftmost longest", "[DEC][ENC]", []int64{30522, 30523}},
		// Categories come from Unicode 9.0 tables in Hugging Face
		// tokenizers: later punctuation (U+2E4F, Unicode 11), format
		// characters (U+0890, Unicode 14) and nonspacing marks (U+1AC0,
		// Unicode 14) are ordinary characters of a word.
		{"post-9.0 punctuation is not split", "a\u2e4fb", []int64{id("[UNK]")}},
		{"post-9.0 format character is kept", "a\u0890", []int64{id("[UNK]")}},
		{"post-9.0 nonspacing mark is kept", "a\u1ac0", []int64{id("[UNK]")}},
		// Hugging Face's CJK ranges skip U+2B820..U+2B91F.
		{"CJK Extension E start is not padded", "a\U0002b820b", []int64{id("[UNK]")}},
		{"CJK padded from U+2B920", "a\U0002b920b", []int64{id("a"), id("[UNK]"), id("b")}},
		// The limit counts characters, not bytes: 60 two-byte letters make
		// one word of word pieces (the first 33 are kept).
		{"limit counts characters", strings.Repeat("ж", 60), nil},
		{"9.0 punctuation is split", "a\u2e3bb", []int64{id("a"), id("[UNK]"), id("b")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := encode(t, b, tt.in)
			if len(e.IDs) != 35 || len(e.AttentionMask) != 35 {
				t.Fatalf("lengths %d, %d", len(e.IDs), len(e.AttentionMask))
			}
			if e.IDs[0] != 101 {
				t.Errorf("ids[0] = %d, want [CLS]", e.IDs[0])
			}
			got := body(e)
			if strings.HasPrefix(tt.name, "limit counts characters") {
				want := append([]int64{id("ж")}, slices.Repeat([]int64{id("##ж")}, 32)...)
				if !slices.Equal(got, want) || e.NTokensUntruncated != 62 {
					t.Errorf("60 ж gave %v (n = %d), want %v", got, e.NTokensUntruncated, want)
				}
				return
			}
			if strings.HasPrefix(tt.name, "100 characters") {
				if len(got) == 0 || slices.Contains(got, 100) {
					t.Errorf("100 a's gave %v, want word pieces", got)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b []int64) bool { return slices.Equal(a, b) })); diff != "" {
				t.Errorf("%q body (-want +got):\n%s", tt.in, diff)
			}
			n := len(tt.want) + 2
			if e.NTokensUntruncated != n || e.IDs[n-1] != 102 {
				t.Errorf("n = %d, ids[n-1] = %d", e.NTokensUntruncated, e.IDs[n-1])
			}
			for i := range e.IDs {
				wantMask := int64(0)
				if i < n {
					wantMask = 1
				}
				if e.AttentionMask[i] != wantMask || (i >= n && e.IDs[i] != 0) {
					t.Fatalf("position %d: id %d mask %d", i, e.IDs[i], e.AttentionMask[i])
				}
			}
		})
	}

	t.Run("long text", func(t *testing.T) {
		long := strings.Repeat("golden puppy, ", 800) // 11200 characters
		e := encode(t, b, long)
		// golden puppy , = 3 word pieces each
		if e.NTokensUntruncated != 2+3*800 || !e.Truncated {
			t.Errorf("n = %d, truncated = %v", e.NTokensUntruncated, e.Truncated)
		}
		if e.IDs[34] != 102 || slices.Contains(e.AttentionMask, 0) {
			t.Errorf("ids[34] = %d mask %v", e.IDs[34], e.AttentionMask)
		}
		// 33 word pieces are kept: 11 repetitions.
		if want := []int64{id("golden"), id("puppy"), id(",")}; !slices.Equal(e.IDs[1:4], want) || !slices.Equal(e.IDs[31:34], want) {
			t.Errorf("ids %v", e.IDs)
		}
	})
}

func TestInvalidUTF8(t *testing.T) {
	t.Parallel()
	for name, tk := range map[string]Tokenizer{"openai": openAICLIP(t), "hf": hfCLIP(t), "bert": imageRewardBERT(t)} {
		for _, s := range []string{"\xff", "abc\xc3", "a\xed\xa0\x80b"} {
			_, err := tk.Encode(s)
			if !errors.Is(err, ErrInvalidUTF8) {
				t.Errorf("%s: Encode(%q) error %v, want ErrInvalidUTF8", name, s, err)
			}
		}
		if _, err := EncodeBatch(tk, []string{"ok", "bad\xff"}); err == nil || !strings.Contains(err.Error(), "text 1") {
			t.Errorf("%s: EncodeBatch error %v, want one naming text 1", name, err)
		}
	}
}

func TestEncodeBatch(t *testing.T) {
	t.Parallel()
	b := imageRewardBERT(t)
	texts := []string{"a cat", strings.Repeat("dog ", 50), ""}
	got, err := EncodeBatch(b, texts)
	if err != nil {
		t.Fatal(err)
	}
	if got.Size != 3 || got.SeqLen != 35 || len(got.IDs) != 3*35 || len(got.AttentionMask) != 3*35 {
		t.Fatalf("shape %d x %d, %d ids", got.Size, got.SeqLen, len(got.IDs))
	}
	for i, s := range texts {
		e := encode(t, b, s)
		if !slices.Equal(got.IDs[i*35:(i+1)*35], e.IDs) || !slices.Equal(got.AttentionMask[i*35:(i+1)*35], e.AttentionMask) {
			t.Errorf("row %d differs from Encode", i)
		}
		if got.Truncated[i] != e.Truncated {
			t.Errorf("row %d: truncated %v", i, got.Truncated[i])
		}
	}
	if !slices.Equal(got.Truncated, []bool{false, true, false}) {
		t.Errorf("truncated %v", got.Truncated)
	}
}

// TestConcurrentEncode encodes the golden texts from several goroutines at
// once (run with -race) and compares with a sequential pass.
func TestConcurrentEncode(t *testing.T) {
	t.Parallel()
	rows := readJSONL[clipGoldenRow](t, clipGoldenPath)
	for name, tk := range map[string]Tokenizer{"openai": openAICLIP(t), "bert": imageRewardBERT(t)} {
		want := make([][]int64, len(rows))
		for i, r := range rows {
			want[i] = encode(t, tk, r.Text).IDs
		}
		var wg sync.WaitGroup
		errs := make(chan string, 8*len(rows))
		for g := range 8 {
			wg.Go(func() {
				for k := range rows {
					i := (k + g*11) % len(rows)
					e, err := tk.Encode(rows[i].Text)
					if err != nil || !slices.Equal(e.IDs, want[i]) {
						errs <- rows[i].Text
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for s := range errs {
			t.Errorf("%s: concurrent Encode(%q) differs", name, s)
		}
	}
}

func TestSplitAdded(t *testing.T) {
	t.Parallel()
	toks := []addedToken{
		{content: "<ab>", id: 1},
		{content: "<ab>c", id: 2},
		{content: "[L]", id: 3, lstrip: true},
		{content: "[R]", id: 4, rstrip: true},
	}
	type piece struct {
		S  string
		ID int32
	}
	tests := []struct {
		in   string
		want []piece
	}{
		{"", nil},
		{"plain", []piece{{"plain", -1}}},
		{"x<ab>cd", []piece{{"x", -1}, {"<ab>c", 2}, {"d", -1}}}, // longest at the leftmost start
		{"<ab><ab>", []piece{{"<ab>", 1}, {"<ab>", 1}}},
		{"a  [L]  b", []piece{{"a", -1}, {"  [L]", 3}, {"  b", -1}}},
		{"a  [R]  b", []piece{{"a  ", -1}, {"[R]  ", 4}, {"b", -1}}},
		{"<a<ab>", []piece{{"<a", -1}, {"<ab>", 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got []piece
			splitAdded(tt.in, toks, func(s string, id int32) { got = append(got, piece{s, id}) })
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
