package tokenize

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Shared reference data sits beside the clone: <root>/shared and
// <root>/main/harness/tokenize.
const (
	sharedDir       = "../../../shared"
	openAIVocabPath = sharedDir + "/data/clip/bpe_simple_vocab_16e6.txt.gz"
	bertJSON        = sharedDir + "/data/bert/bert-base-uncased.tokenizer.json"
	clipGoldenPath  = sharedDir + "/golden/clip_tokens.jsonl"
	bertGoldenPath  = sharedDir + "/golden/bert_tokens.jsonl"
)

func requireFile(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("reference file missing: %v (shared/ must sit beside the clone: %s)", err, filepath.Clean(sharedDir))
	}
}

// Tokenizers are loaded once per test binary; they are read-only apart
// from their internal, synchronised BPE cache.
var (
	openAIOnce = sync.OnceValues(func() (*CLIP, error) { return LoadOpenAIVocab(openAIVocabPath, Options{}) })
	irOnce     = sync.OnceValues(func() (*BERT, error) { return LoadImageRewardBERT(bertJSON) })
	hfCLIPOnce = sync.OnceValues(func() (*CLIP, error) {
		data, err := OpenAIVocabToTokenizerJSON(openAIVocabPath)
		if err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp("", "srbench-tokenize-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		p := filepath.Join(dir, "tokenizer.json")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return nil, err
		}
		tk, err := Load(p, Options{})
		if err != nil {
			return nil, err
		}
		return tk.(*CLIP), nil
	})
)

func openAICLIP(t testing.TB) *CLIP {
	t.Helper()
	requireFile(t, openAIVocabPath)
	c, err := openAIOnce()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func hfCLIP(t testing.TB) *CLIP {
	t.Helper()
	requireFile(t, openAIVocabPath)
	c, err := hfCLIPOnce()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func imageRewardBERT(t testing.TB) *BERT {
	t.Helper()
	requireFile(t, bertJSON)
	b, err := irOnce()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type clipGoldenRow struct {
	Text               string  `json:"text"`
	IDs                []int64 `json:"ids"`
	NTokensUntruncated int     `json:"n_tokens_untruncated"`
	Truncated          bool    `json:"truncated"`
}

type bertGoldenRow struct {
	Text          string  `json:"text"`
	InputIDs      []int64 `json:"input_ids"`
	AttentionMask []int64 `json:"attention_mask"`
}

// readJSONL decodes every line of a JSONL file into a T.
func readJSONL[T any](t testing.TB, path string) []T {
	t.Helper()
	requireFile(t, path)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: line %d: %v", path, line, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no rows", path)
	}
	return out
}

// maskOf is the attention mask implied by an id row: 1 up to and including
// the first end token, 0 after.
func maskOf(ids []int64, end int64) []int64 {
	m := make([]int64, len(ids))
	for i, id := range ids {
		m[i] = 1
		if id == end {
			break
		}
	}
	return m
}
