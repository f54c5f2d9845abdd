package tokenize

import (
	"strings"
	"testing"
)

// benchEncode encodes texts round-robin and reports tokens/s, counting the
// untruncated tokens (the work done) of each text.
func benchEncode(b *testing.B, tk Tokenizer, texts []string) {
	tokens := 0
	for _, s := range texts {
		e, err := tk.Encode(s)
		if err != nil {
			b.Fatal(err)
		}
		tokens += e.NTokensUntruncated
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := tk.Encode(texts[i%len(texts)]); err != nil {
			b.Fatal(err)
		}
	}
	perText := float64(tokens) / float64(len(texts))
	b.ReportMetric(perText*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// goldenPrompts are the 160 prompts of both golden files: realistic
// text-to-image prompts, a few long, multilingual and emoji ones.
func goldenPrompts(b *testing.B) []string {
	var out []string
	for _, r := range readJSONL[clipGoldenRow](b, clipGoldenPath) {
		out = append(out, r.Text)
	}
	for _, r := range readJSONL[bertGoldenRow](b, bertGoldenPath) {
		out = append(out, r.Text)
	}
	return out
}

func BenchmarkCLIPEncode(b *testing.B) {
	prompts := goldenPrompts(b)
	long := []string{strings.Repeat("a watercolor painting of a fox in a misty forest, ", 220)} // 11000 characters
	b.Run("openai/prompts", func(b *testing.B) { benchEncode(b, openAICLIP(b), prompts) })
	b.Run("hf/prompts", func(b *testing.B) { benchEncode(b, hfCLIP(b), prompts) })
	b.Run("openai/11k-chars", func(b *testing.B) { benchEncode(b, openAICLIP(b), long) })
}

func BenchmarkBERTEncode(b *testing.B) {
	prompts := goldenPrompts(b)
	long := []string{strings.Repeat("a watercolor painting of a fox in a misty forest, ", 220)}
	b.Run("prompts", func(b *testing.B) { benchEncode(b, imageRewardBERT(b), prompts) })
	b.Run("11k-chars", func(b *testing.B) { benchEncode(b, imageRewardBERT(b), long) })
}
