package tokenize

import (
	"fmt"
	"sort"
)

// LearnCLIPBPE learns a small CLIP-style byte-level BPE vocabulary from a
// corpus, for demo and test models that should not need OpenAI's 49408-entry
// vocabulary. Texts are cleaned and split exactly as clip.tokenize does;
// each piece becomes a word of byte-level symbols with "</w>" on the last.
// Merges are chosen greedily by pair frequency over the corpus (ties broken
// by the lexicographically smallest pair), at most maxMerges of them; any
// pair that still occurs is merged while merges remain, so with enough
// merges every corpus word becomes a single token.
//
// The vocabulary follows CLIP's layout: the 256 byte symbols in
// bytes_to_unicode order, the same with "</w>", one entry per merge, then
// <|startoftext|> and <|endoftext|>. Write it with CLIPTokenizerJSON.
func LearnCLIPBPE(corpus []string, maxMerges int) (vocab []string, merges [][2]string, err error) {
	if maxMerges < 0 {
		return nil, nil, fmt.Errorf("learn bpe: maxMerges %d, want >= 0", maxMerges)
	}
	_, char := bytesToUnicode()
	counts := map[string]int{}
	for i, text := range corpus {
		if err := checkUTF8(text); err != nil {
			return nil, nil, fmt.Errorf("learn bpe: text %d: %w", i, err)
		}
		splitCLIP(cleanOpenAI(text), true, func(piece string) {
			if piece == openAIStartText || piece == openAIEndText {
				return
			}
			counts[piece]++
		})
	}
	type word struct {
		syms []string
		n    int
	}
	pieces := make([]string, 0, len(counts))
	for p := range counts {
		pieces = append(pieces, p)
	}
	sort.Strings(pieces)
	words := make([]word, 0, len(pieces))
	for _, p := range pieces {
		b := []byte(p)
		syms := make([]string, len(b))
		for i, c := range b {
			syms[i] = string(char[c])
		}
		syms[len(syms)-1] += "</w>"
		words = append(words, word{syms, counts[p]})
	}
	for len(merges) < maxMerges {
		freq := map[[2]string]int{}
		for _, w := range words {
			for i := 0; i+1 < len(w.syms); i++ {
				freq[[2]string{w.syms[i], w.syms[i+1]}] += w.n
			}
		}
		if len(freq) == 0 {
			break
		}
		var best [2]string
		bestN := 0
		for p, n := range freq {
			if n > bestN || (n == bestN && (p[0] < best[0] || p[0] == best[0] && p[1] < best[1])) {
				best, bestN = p, n
			}
		}
		merges = append(merges, best)
		joined := best[0] + best[1]
		for wi := range words {
			s := words[wi].syms
			out := s[:0]
			for i := 0; i < len(s); i++ {
				if i+1 < len(s) && s[i] == best[0] && s[i+1] == best[1] {
					out = append(out, joined)
					i++
					continue
				}
				out = append(out, s[i])
			}
			words[wi].syms = out
		}
	}
	order, _ := bytesToUnicode()
	for _, b := range order {
		vocab = append(vocab, string(char[b]))
	}
	for _, b := range order {
		vocab = append(vocab, string(char[b])+"</w>")
	}
	for _, m := range merges {
		vocab = append(vocab, m[0]+m[1])
	}
	vocab = append(vocab, openAIStartText, openAIEndText)
	return vocab, merges, nil
}
