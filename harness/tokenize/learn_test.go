package tokenize

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLearnCLIPBPE checks the learner on a textbook case and that a learned
// vocabulary loads through tokenizer.json and tokenizes corpus words to one
// token each.
func TestLearnCLIPBPE(t *testing.T) {
	t.Parallel()
	// Words: "l o w</w>" x2, "l o w e r</w>" x1. Counted by hand:
	// (l,o)=3 first; then (lo,w</w>)=2; then (lo,w), (w,e), (e,r</w>) tie at 1
	// and the smallest pair wins: (e,r</w>); then (lo,w)=(w,er</w>)=1: (lo,w);
	// then (low,er</w>).
	vocab, merges, err := LearnCLIPBPE([]string{"low low", "lower"}, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"l", "o"}, {"lo", "w</w>"}, {"e", "r</w>"}, {"lo", "w"}, {"low", "er</w>"}}
	if len(merges) != len(want) {
		t.Fatalf("merges %v, want %v", merges, want)
	}
	for i := range want {
		if merges[i] != want[i] {
			t.Fatalf("merge %d = %v, want %v (all: %v)", i, merges[i], want[i], merges)
		}
	}
	if len(vocab) != 512+len(merges)+2 || vocab[len(vocab)-1] != "<|endoftext|>" {
		t.Fatalf("vocab size %d", len(vocab))
	}

	corpus := []string{"a red fox in the snow", "a blue car, watercolor", "Red FOX!"}
	vocab, merges, err = LearnCLIPBPE(corpus, 1000)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := os.WriteFile(path, CLIPTokenizerJSON(vocab, merges), 0o644); err != nil {
		t.Fatal(err)
	}
	tok, err := Load(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	end := int64(len(vocab) - 1)
	tests := []struct {
		text  string
		words int // tokens between start and end
	}{
		{"a red fox", 3},
		{"watercolor, snow", 3},
		{"RED fox!", 3},
		{"zebra", 5}, // unseen word: byte symbols, partly merged ("e" ... ) - at most 5
	}
	for _, tc := range tests {
		e, err := tok.Encode(tc.text)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, id := range e.IDs[1:] {
			if id == end {
				break
			}
			n++
		}
		if tc.text == "zebra" {
			if n < 1 || n > 5 {
				t.Errorf("%q: %d tokens", tc.text, n)
			}
			continue
		}
		if n != tc.words {
			t.Errorf("%q: %d tokens, want %d (ids %v)", tc.text, n, tc.words, e.IDs[:8])
		}
	}
}
