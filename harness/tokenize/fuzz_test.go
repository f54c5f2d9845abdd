package tokenize

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// checkInvariants holds for every successful Encode: fixed length, start
// token first, a mask of ones then zeros covering min(n, maxLen) positions,
// the end token last among them, padding after, Truncated == n > maxLen.
func checkInvariants(t *testing.T, tk Tokenizer, start, end, pad int64, text string) {
	e, err := tk.Encode(text)
	if !utf8.ValidString(text) {
		if !errors.Is(err, ErrInvalidUTF8) {
			t.Fatalf("Encode(%q): error %v, want ErrInvalidUTF8", text, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("Encode(%q): %v", text, err)
	}
	n := tk.MaxLength()
	if len(e.IDs) != n || len(e.AttentionMask) != n {
		t.Fatalf("Encode(%q): %d ids, %d mask entries, want %d", text, len(e.IDs), len(e.AttentionMask), n)
	}
	if e.NTokensUntruncated < 2 || e.Truncated != (e.NTokensUntruncated > n) {
		t.Fatalf("Encode(%q): n = %d, truncated = %v", text, e.NTokensUntruncated, e.Truncated)
	}
	used := min(e.NTokensUntruncated, n)
	if e.IDs[0] != start || e.IDs[used-1] != end {
		t.Fatalf("Encode(%q): ids[0] = %d, ids[%d] = %d", text, e.IDs[0], used-1, e.IDs[used-1])
	}
	for i := range n {
		if (i < used) != (e.AttentionMask[i] == 1) || (i >= used && (e.AttentionMask[i] != 0 || e.IDs[i] != pad)) {
			t.Fatalf("Encode(%q): position %d: id %d mask %d (used %d)", text, i, e.IDs[i], e.AttentionMask[i], used)
		}
		if _, ok := tk.Token(e.IDs[i]); !ok {
			t.Fatalf("Encode(%q): id %d is not a token", text, e.IDs[i])
		}
	}
}

func addSeeds(f *testing.F) {
	for _, r := range readJSONL[clipGoldenRow](f, clipGoldenPath) {
		f.Add(r.Text)
	}
	for _, r := range readJSONL[bertGoldenRow](f, bertGoldenPath) {
		f.Add(r.Text)
	}
	for _, s := range []string{"", "\xff\xfe", "&#x110000;&amp", "ΟΔΟΣ İ ſ's", "<|endoftext|>[SEP][DEC]", "\x00\u200b\ufffd"} {
		f.Add(s)
	}
}

func FuzzCLIPEncode(f *testing.F) {
	o, h := openAICLIP(f), hfCLIP(f)
	addSeeds(f)
	f.Fuzz(func(t *testing.T, text string) {
		checkInvariants(t, o, 49406, 49407, 0, text)
		checkInvariants(t, h, 49406, 49407, 49407, text)
	})
}

func FuzzBERTEncode(f *testing.F) {
	b := imageRewardBERT(f)
	addSeeds(f)
	f.Fuzz(func(t *testing.T, text string) {
		checkInvariants(t, b, 101, 102, 0, text)
	})
}
