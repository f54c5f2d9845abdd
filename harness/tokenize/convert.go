package tokenize

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
)

// OpenAIVocabToTokenizerJSON converts an OpenAI CLIP BPE vocabulary (such
// as bpe_simple_vocab_16e6.txt.gz) into the tokenizer.json that
// transformers' CLIPTokenizerFast saves for it (CLIPConverter): the same
// vocabulary (in id order) and merges, NFC + \s+ -> " " + Lowercase, the
// Split/ByteLevel pre-tokenizer, RobertaProcessing with <|startoftext|>
// and <|endoftext|>, no truncation or padding section. Useful to build
// model directories for tests and demos.
func OpenAIVocabToTokenizerJSON(vocabPath string) ([]byte, error) {
	f, err := os.Open(vocabPath)
	if err != nil {
		return nil, fmt.Errorf("openai vocabulary: %w", err)
	}
	defer f.Close()
	vocab, merges, err := openAIVocab(f)
	if err != nil {
		return nil, fmt.Errorf("openai vocabulary %q: %w", vocabPath, err)
	}
	return CLIPTokenizerJSON(vocab, merges), nil
}

// CLIPTokenizerJSON writes the tokenizer.json of a CLIP byte-level BPE
// vocabulary (in id order, the last two entries <|startoftext|> and
// <|endoftext|>) and its merges, in the layout of transformers'
// CLIPConverter (see OpenAIVocabToTokenizerJSON).
func CLIPTokenizerJSON(vocab []string, merges [][2]string) []byte {
	start, end := len(vocab)-2, len(vocab)-1
	str := func(s string) string {
		b, err := json.Marshal(s)
		if err != nil {
			panic(err) // strings always marshal
		}
		return string(b)
	}
	var b bytes.Buffer
	b.WriteString("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [\n")
	for i, id := range []int{start, end} {
		fmt.Fprintf(&b, `    {"id": %d, "content": %s, "single_word": false, "lstrip": false, "rstrip": false, "normalized": true, "special": true}`, id, str(vocab[id]))
		if i == 0 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("  ],\n")
	b.WriteString(`  "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "}, {"type": "Lowercase"}]},` + "\n")
	fmt.Fprintf(&b, `  "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": %s}, "behavior": "Removed", "invert": true}, {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},`+"\n", str(clipSplitPattern))
	fmt.Fprintf(&b, `  "post_processor": {"type": "RobertaProcessing", "sep": [%s, %d], "cls": [%s, %d], "trim_offsets": false, "add_prefix_space": false},`+"\n", str(vocab[end]), end, str(vocab[start]), start)
	b.WriteString(`  "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},` + "\n")
	fmt.Fprintf(&b, `  "model": {"type": "BPE", "dropout": null, "unk_token": %s, "continuing_subword_prefix": "", "end_of_word_suffix": "</w>", "fuse_unk": false, "byte_fallback": false, "vocab": {`, str(vocab[end]))
	// dict(zip(vocab, range)) keeps the last id of a duplicate; write each
	// token once, at its final id, in id order.
	last := make(map[string]int, len(vocab))
	for i, t := range vocab {
		last[t] = i
	}
	first := true
	for i, t := range vocab {
		if last[t] != i {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		b.WriteString(str(t))
		b.WriteString(": ")
		b.WriteString(strconv.Itoa(i))
	}
	b.WriteString("}, \"merges\": [")
	for i, m := range merges {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(str(m[0] + " " + m[1]))
	}
	b.WriteString("]}\n}\n")
	return b.Bytes()
}
