package tokenize

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestMergeHeapEqualsNaive checks the O(n log n) merge against the direct
// transcription of simple_tokenizer.bpe on seeded random pieces: ASCII
// words, repetitive runs (where overlapping pairs matter) and random UTF-8.
func TestMergeHeapEqualsNaive(t *testing.T) {
	t.Parallel()
	m := openAICLIP(t).bpe
	rng := rand.New(rand.NewPCG(1, 2))
	alphabets := []string{"abcdefghijklmnopqrstuvwxyz", "aab", "ab", "eéèêë猫한🙂", "0123456789.-"}
	for i := range 3000 {
		alpha := []rune(alphabets[i%len(alphabets)])
		n := 2 + rng.IntN(300)
		var sb strings.Builder
		for range n {
			sb.WriteRune(alpha[rng.IntN(len(alpha))])
		}
		piece := sb.String()
		init := func() []int32 {
			w := make([]int32, len(piece))
			for k := 0; k < len(piece); k++ {
				w[k] = m.byteID[piece[k]]
			}
			w[len(w)-1] = m.byteEOW[piece[len(piece)-1]]
			return w
		}
		naive := m.mergeNaive(init())
		heap := m.mergeHeap(init())
		if !slices.Equal(naive, heap) {
			t.Fatalf("piece %q: naive %v, heap %v", piece, naive, heap)
		}
	}
}

func TestBytesToUnicode(t *testing.T) {
	t.Parallel()
	order, char := bytesToUnicode()
	seen := map[rune]bool{}
	for b := 0; b < 256; b++ {
		if seen[char[b]] {
			t.Fatalf("character %q used twice", char[b])
		}
		seen[char[b]] = true
	}
	// Textbook values of GPT-2's table.
	for _, c := range []struct {
		b byte
		r rune
	}{{'!', '!'}, {'~', '~'}, {' ', 'Ġ'}, {0, 'Ā'}, {'\n', 'Ċ'}, {0xad, 'Ń'}, {0xa1, '¡'}, {0xff, 'ÿ'}} {
		if char[c.b] != c.r {
			t.Errorf("char[0x%02x] = %q, want %q", c.b, char[c.b], c.r)
		}
	}
	if order[0] != '!' || order[93] != '~' || order[94] != 0xa1 || order[188] != 0 || order[255] != 0xad {
		t.Errorf("order %v", order)
	}
}
