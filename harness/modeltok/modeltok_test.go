package modeltok_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/modeldir"
	"github.com/srbench/srbench/harness/modeltok"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/internal/testmodels"
)

func load(t *testing.T, dir string) *modeltok.Tokenizer {
	t.Helper()
	d, err := modeldir.LoadManifest(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := modeltok.ForDir(d)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestImageRewardSpecials checks ImageReward's set-up on bert-base-uncased: the
// literal "[DEC]" and "[ENC]" are the added tokens 30522 and 30523 (the ids the
// reference set-up assigns, ../shared/README.md), the length is 35. Word ids are
// from the vocabulary: [CLS] 101, [SEP] 102, a 1037, cat 4937, dog 3899.
func TestImageRewardSpecials(t *testing.T) {
	dir, _ := testmodels.ImageRewardDir(t, 0)
	tok := load(t, dir)
	if tok.MaxLength() != 35 || filepath.Base(tok.Path) != "tokenizer.json" || !strings.Contains(tok.Description, "ImageReward's set-up") {
		t.Fatalf("tokenizer: length %d, path %s, description %q", tok.MaxLength(), tok.Path, tok.Description)
	}
	tests := []struct {
		text string
		ids  []int64
	}{
		{"a [DEC] cat", []int64{101, 1037, 30522, 4937, 102}},
		{"a [ENC] dog", []int64{101, 1037, 30523, 3899, 102}},
		{"[DEC][ENC]", []int64{101, 30522, 30523, 102}},
		{"a cat", []int64{101, 1037, 4937, 102}},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			e, err := tok.Encode(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			want := append(append([]int64{}, tc.ids...), make([]int64, 35-len(tc.ids))...)
			if diff := cmp.Diff(want, e.IDs); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCLIPKinds: each CLIP kind gets the CLIP set-up; with OpenAI's vocabulary in
// the directory that is clip.tokenize, length 77: "a cat" is [49406, 320, 2368,
// 49407] (320 is "a</w>" and 2368 "cat</w>" in OpenAI's vocabulary, as in the golden
// row "A cat with two horns on its head." of ../shared/golden/clip_tokens.jsonl).
func TestCLIPKinds(t *testing.T) {
	for _, kind := range []string{"clipscore", "pickscore", "socialreward"} {
		t.Run(kind, func(t *testing.T) {
			dir, _ := testmodels.CLIPDir(t, kind, "", clipmodel.WriteOptions{Text: true}, 1)
			tok := load(t, dir)
			if tok.MaxLength() != 77 || !strings.Contains(tok.Description, "OpenAI clip.tokenize semantics") {
				t.Fatalf("length %d, description %q", tok.MaxLength(), tok.Description)
			}
			e, err := tok.Encode("a cat")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]int64{49406, 320, 2368, 49407, 0}, e.IDs[:5]); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	write := func(t *testing.T, manifest string) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "srbench.yaml"), []byte(manifest), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	tests := []struct {
		name, manifest, want string
	}{
		{"unknown kind", "kind: myscorer\n", `field "kind" is "myscorer", whose tokenizer set-up srbench does not know (known kinds: clipscore, pickscore, socialreward, imagereward)`},
		{"imagereward without tokenizer", "kind: imagereward\n", "no tokenizer: expected one of tokenizer.json"},
		{"clip without tokenizer", "kind: clipscore\n", "no tokenizer: expected one of tokenizer.json, bpe_simple_vocab_16e6.txt.gz"},
		{"named tokenizer missing", "kind: pickscore\nstrings: {tokenizer: vocab.json}\n", "no tokenizer named in srbench.yaml: expected one of vocab.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := modeldir.LoadManifest(write(t, tc.manifest), "")
			if err != nil {
				t.Fatal(err)
			}
			_, err = modeltok.ForDir(d)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ForDir: %v; want an error containing %q", err, tc.want)
			}
		})
	}
}
