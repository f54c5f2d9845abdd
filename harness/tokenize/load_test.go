package tokenize

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// convertedJSON is the converted CLIP tokenizer.json as a generic map, to
// derive variants from.
var convertedOnce = sync.OnceValues(func() ([]byte, error) { return OpenAIVocabToTokenizerJSON(openAIVocabPath) })

func clipJSONVariant(t *testing.T, edit func(m map[string]any)) []byte {
	t.Helper()
	requireFile(t, openAIVocabPath)
	data, err := convertedOnce()
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return data
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConvertedJSONShape(t *testing.T) {
	t.Parallel()
	var f hfFile
	if err := json.Unmarshal(clipJSONVariant(t, nil), &f); err != nil {
		t.Fatal(err)
	}
	// What CLIPTokenizerFast stores: 49408 tokens, 48894 merges, the
	// special tokens at the end, "</w>" suffix.
	if len(f.Model.Vocab) != 49408 || f.Model.Vocab["<|startoftext|>"] != 49406 || f.Model.Vocab["<|endoftext|>"] != 49407 {
		t.Errorf("vocab: %d entries, specials %d %d", len(f.Model.Vocab), f.Model.Vocab["<|startoftext|>"], f.Model.Vocab["<|endoftext|>"])
	}
	if f.Model.Vocab["!"] != 0 || f.Model.Vocab["!</w>"] != 256 || f.Model.Vocab["in"] != 512 {
		t.Errorf("vocab order: ! %d, !</w> %d, in %d", f.Model.Vocab["!"], f.Model.Vocab["!</w>"], f.Model.Vocab["in"])
	}
	merges, err := parseMerges(f.Model.Merges)
	if err != nil || len(merges) != 48894 || merges[0] != [2]string{"i", "n"} {
		t.Errorf("merges: %d, first %v, err %v", len(merges), merges[0], err)
	}
	if f.Model.Type != "BPE" || *f.Model.EndOfWordSuffix != "</w>" || len(f.AddedTokens) != 2 {
		t.Errorf("model %q suffix %q added %d", f.Model.Type, *f.Model.EndOfWordSuffix, len(f.AddedTokens))
	}
}

func TestLoadDispatch(t *testing.T) {
	t.Parallel()
	requireFile(t, openAIVocabPath)
	dir := t.TempDir()

	// A plain-text copy of the vocabulary loads like the gzipped one.
	gz, err := os.Open(openAIVocabPath)
	if err != nil {
		t.Fatal(err)
	}
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	vocabDir := filepath.Join(dir, "openai")
	if err := os.Mkdir(vocabDir, 0o755); err != nil {
		t.Fatal(err)
	}
	txt := writeFile(t, vocabDir, "vocab.txt", plain)

	jsonDir := filepath.Join(dir, "hf")
	if err := os.Mkdir(jsonDir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, jsonDir, "tokenizer.json", clipJSONVariant(t, nil))
	writeFile(t, jsonDir, "vocab.txt.gz", []byte("ignored: tokenizer.json wins"))

	tests := []struct {
		name   string
		path   string
		opts   Options
		openAI bool
		maxLen int
	}{
		{"gz vocabulary", openAIVocabPath, Options{}, true, 77},
		{"plain vocabulary", txt, Options{}, true, 77},
		{"directory with a vocabulary", vocabDir, Options{MaxLength: 16}, true, 16},
		{"directory with tokenizer.json", jsonDir, Options{}, false, 77},
		{"tokenizer.json with MaxLength", filepath.Join(jsonDir, "tokenizer.json"), Options{MaxLength: 5}, false, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk, err := Load(tt.path, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			c, ok := tk.(*CLIP)
			if !ok || c.OpenAISemantics() != tt.openAI || c.MaxLength() != tt.maxLen {
				t.Fatalf("got %T openAI=%v maxLen=%d", tk, ok && c.OpenAISemantics(), tk.MaxLength())
			}
			e, err := tk.Encode("a photo of a cat")
			if err != nil {
				t.Fatal(err)
			}
			// golden: [49406 320 1125 539 320 2368 49407]
			want := []int64{49406, 320, 1125, 539, 320, 2368, 49407}
			if tt.maxLen < len(want) {
				want = append(want[:tt.maxLen-1:tt.maxLen-1], 49407)
			}
			for i, id := range want {
				if e.IDs[i] != id {
					t.Fatalf("ids %v, want prefix %v", e.IDs, want)
				}
			}
			if tok, ok := tk.Token(1125); !ok || tok != "photo</w>" {
				t.Errorf("Token(1125) = %q, %v", tok, ok)
			}
			if _, ok := tk.Token(49408); ok {
				t.Error("Token(49408) found")
			}
		})
	}
}

func TestLoadHFSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		edit     func(m map[string]any)
		siblings map[string]string
		opts     Options
		maxLen   int
		pad      int64
	}{
		{"defaults", nil, nil, Options{}, 77, 49407},
		{"truncation section", func(m map[string]any) {
			m["truncation"] = map[string]any{"max_length": 20, "strategy": "LongestFirst", "direction": "Right", "stride": 0}
		}, nil, Options{}, 20, 49407},
		{"fixed padding section", func(m map[string]any) {
			m["padding"] = map[string]any{"strategy": map[string]any{"Fixed": 12}, "direction": "Right", "pad_id": 0, "pad_type_id": 0, "pad_token": "!"}
		}, nil, Options{}, 12, 0},
		{"MaxLength wins over the file", func(m map[string]any) {
			m["truncation"] = map[string]any{"max_length": 20}
		}, nil, Options{MaxLength: 30}, 30, 49407},
		{"special_tokens_map pad", nil, map[string]string{"special_tokens_map.json": `{"pad_token": "!"}`}, Options{}, 77, 0},
		{"tokenizer_config pad object", nil, map[string]string{
			"tokenizer_config.json":   `{"pad_token": {"content": "<|startoftext|>", "lstrip": false}}`,
			"special_tokens_map.json": `{"pad_token": "!"}`,
		}, Options{}, 77, 49406},
		{"null pad falls through", nil, map[string]string{"tokenizer_config.json": `{"pad_token": null}`}, Options{}, 77, 49407},
		{"ByteLevel with use_regex", func(m map[string]any) {
			pre := m["pre_tokenizer"].(map[string]any)["pretokenizers"].([]any)[1].(map[string]any)
			pre["use_regex"] = true
		}, nil, Options{}, 77, 49407},
		{"PadToken option", nil, map[string]string{"special_tokens_map.json": `{"pad_token": "!"}`}, Options{PadToken: "a</w>"}, 77, 320},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeFile(t, dir, "tokenizer.json", clipJSONVariant(t, tt.edit))
			for name, content := range tt.siblings {
				writeFile(t, dir, name, []byte(content))
			}
			tk, err := Load(p, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if tk.MaxLength() != tt.maxLen {
				t.Errorf("MaxLength() = %d, want %d", tk.MaxLength(), tt.maxLen)
			}
			e, err := tk.Encode("cat")
			if err != nil {
				t.Fatal(err)
			}
			if e.IDs[2] != 49407 || e.IDs[3] != tt.pad || e.AttentionMask[3] != 0 {
				t.Errorf("ids %v mask %v, want pad %d", e.IDs[:4], e.AttentionMask[:4], tt.pad)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	requireFile(t, bertJSON)
	tests := []struct {
		name    string
		file    string // written as tokenizer.json unless it names a .txt
		content []byte
		edit    func(m map[string]any)
		opts    Options
		want    string
	}{
		{name: "missing", want: "no such file"},
		{name: "not JSON", content: []byte("{nope"), want: "tokenizer.json"},
		{name: "unsupported model", edit: func(m map[string]any) { m["model"].(map[string]any)["type"] = "Unigram" }, want: `"model.type": "Unigram"`},
		{name: "GPT-2 style pre-tokenizer", edit: func(m map[string]any) {
			m["pre_tokenizer"] = map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}
		}, want: "pre_tokenizer"},
		{name: "other split pattern", edit: func(m map[string]any) {
			pre := m["pre_tokenizer"].(map[string]any)["pretokenizers"].([]any)[0].(map[string]any)
			pre["pattern"] = map[string]any{"Regex": `\w+`}
		}, want: "Split: pattern"},
		{name: "unsupported normalizer", edit: func(m map[string]any) { m["normalizer"] = map[string]any{"type": "Precompiled"} }, want: `"normalizer": type "Precompiled"`},
		{name: "no post-processor", edit: func(m map[string]any) { m["post_processor"] = nil }, want: "post_processor"},
		{name: "dropout", edit: func(m map[string]any) { m["model"].(map[string]any)["dropout"] = 0.1 }, want: "dropout"},
		{name: "left truncation", edit: func(m map[string]any) { m["truncation"] = map[string]any{"max_length": 10, "direction": "Left"} }, want: "truncation.direction"},
		{name: "MaxLength 1", opts: Options{MaxLength: 1}, want: "at least 2"},
		{name: "unknown pad token", opts: Options{PadToken: "<nope>"}, want: `PadToken "<nope>"`},
		{name: "short vocabulary", file: "vocab.txt", content: []byte("#version: 0.2\ni n\n"), want: "at least 48894 merges"},
		{name: "bad merge line", file: "vocab.txt", content: []byte("#version\n" + strings.Repeat("a b\n", 10) + "abc\n" + strings.Repeat("a b\n", 48890)), want: "line 12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			name := tt.file
			if name == "" {
				name = "tokenizer.json"
			}
			p := filepath.Join(dir, name)
			switch {
			case tt.content != nil:
				writeFile(t, dir, name, tt.content)
			case tt.edit != nil || tt.opts != (Options{}):
				writeFile(t, dir, name, clipJSONVariant(t, tt.edit))
			}
			_, err := Load(p, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestImageRewardNeedsWordPiece(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := writeFile(t, dir, "tokenizer.json", clipJSONVariant(t, nil))
	if _, err := LoadImageRewardBERT(p); err == nil || !strings.Contains(err.Error(), "WordPiece") {
		t.Fatalf("error %v", err)
	}
}

func TestBERTFromTokenizerJSON(t *testing.T) {
	t.Parallel()
	requireFile(t, bertJSON)
	tk, err := Load(bertJSON, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, ok := tk.(*BERT)
	if !ok || b.MaxLength() != 512 {
		t.Fatalf("%T, MaxLength %d; want *BERT, 512 (no truncation section)", tk, tk.MaxLength())
	}
	// Without ImageReward's additions "[DEC]" is ordinary text.
	e, err := b.Encode("[DEC]")
	if err != nil {
		t.Fatal(err)
	}
	if got := body(e); len(got) != 3 || got[0] != 1031 || got[2] != 1033 {
		t.Errorf("body %v, want [ dec ]", got)
	}
	if tok, ok := b.Token(102); !ok || tok != "[SEP]" {
		t.Errorf("Token(102) = %q, %v", tok, ok)
	}
	ir := imageRewardBERT(t)
	if tok, ok := ir.Token(30523); !ok || tok != "[ENC]" {
		t.Errorf("ImageReward Token(30523) = %q, %v", tok, ok)
	}
}
