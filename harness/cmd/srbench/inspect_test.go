package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/internal/testmodels"
)

// TestInspectTokensMatchesGolden pipes the golden texts through
// `srbench inspect tokens` and compares with the reference ids.
func TestInspectTokensMatchesGolden(t *testing.T) {
	tests := []struct {
		golden, tokenizer, idsField string
		maxLen                      string
	}{
		{"golden/clip_tokens.jsonl", "data/clip/bpe_simple_vocab_16e6.txt.gz", "ids", ""},
		{"golden/bert_tokens.jsonl", "data/bert/bert-base-uncased.tokenizer.json", "input_ids", "35"},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			b, err := os.ReadFile(testmodels.Shared(t, tc.golden))
			if err != nil {
				t.Fatal(err)
			}
			var want []map[string]any
			var in bytes.Buffer
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				var row map[string]any
				if err := json.Unmarshal([]byte(line), &row); err != nil {
					t.Fatal(err)
				}
				want = append(want, row)
				json.NewEncoder(&in).Encode(map[string]any{"text": row["text"]})
			}
			args := []string{"inspect", "tokens", "--tokenizer", testmodels.Shared(t, tc.tokenizer)}
			if tc.maxLen != "" {
				args = append(args, "--max-length", tc.maxLen)
			}
			cmd := srbench(args...)
			cmd.Stdin = &in
			out, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(bytes.NewReader(out))
			sc.Buffer(make([]byte, 1<<20), 1<<24)
			i := 0
			for ; sc.Scan(); i++ {
				var got map[string]any
				if err := json.Unmarshal(sc.Bytes(), &got); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want[i][tc.idsField], got["ids"]); diff != "" {
					t.Fatalf("row %d (%q): ids differ:\n%s", i, want[i]["text"], diff)
				}
				if m, ok := want[i]["attention_mask"]; ok {
					if diff := cmp.Diff(m, got["attention_mask"]); diff != "" {
						t.Fatalf("row %d: mask differs:\n%s", i, diff)
					}
				}
			}
			if i != len(want) {
				t.Fatalf("%d rows out, want %d", i, len(want))
			}
		})
	}
}

// TestInspectPixelsMatchesGolden writes model inputs with `srbench inspect
// pixels` and compares them byte for byte with the reference tensors.
func TestInspectPixelsMatchesGolden(t *testing.T) {
	for _, tc := range []struct{ image, pipeline string }{
		{"coffee_q90_420.jpg", "hf"},
		{"chelsea_rgba.png", "openai"},
		{"rocket_palette.gif", "openai"},
	} {
		t.Run(tc.image+"/"+tc.pipeline, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "x.f32")
			runOK(t, "inspect", "pixels", "--image", testmodels.Shared(t, "golden/images/"+tc.image), "--pipeline", tc.pipeline, "--out", out)
			got, _ := os.ReadFile(out)
			name := strings.TrimSuffix(tc.image, filepath.Ext(tc.image))
			want, err := os.ReadFile(testmodels.Shared(t, "golden/images/"+name+"."+tc.pipeline+".f32"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("tensor differs from the reference (%d vs %d bytes)", len(got), len(want))
			}
		})
	}
}

// padded returns ids followed by zeros up to n, and the matching attention mask
// (1 on ids, 0 on the padding), as the JSON numbers `inspect tokens` writes.
func padded(n int, ids ...float64) (idsOut, mask []any) {
	for i := 0; i < n; i++ {
		if i < len(ids) {
			idsOut, mask = append(idsOut, ids[i]), append(mask, 1.0)
		} else {
			idsOut, mask = append(idsOut, 0.0), append(mask, 0.0)
		}
	}
	return idsOut, mask
}

// inspectTokens runs `srbench inspect tokens` with args on the given texts and
// returns the decoded output rows.
func inspectTokens(t *testing.T, texts []string, args ...string) []map[string]any {
	t.Helper()
	var in bytes.Buffer
	for _, s := range texts {
		json.NewEncoder(&in).Encode(map[string]any{"text": s})
	}
	cmd := srbench(append([]string{"inspect", "tokens"}, args...)...)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("srbench inspect tokens %v: %v\n%s", args, err, stderr.String())
	}
	var rows []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var row map[string]any
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	if len(rows) != len(texts) {
		t.Fatalf("%d rows out, want %d", len(rows), len(texts))
	}
	return rows
}

// TestInspectTokensImageRewardDir (issue #13): `inspect tokens` on an imagereward
// model directory tokenizes with ImageReward's set-up, so the literal "[DEC]" and
// "[ENC]" are the added special tokens 30522 and 30523 (ids given by ImageReward's
// set-up, see ../shared/README.md), the length is 35, and a tokenizer file named in
// srbench.yaml is honoured. Word ids are those of bert-base-uncased's vocabulary:
// [CLS] 101, [SEP] 102, a 1037, cat 4937, dog 3899, photo 6302, of 1997. Without the
// added tokens "[DEC]" would be "[", "dec", "]" (1031, 11703, 1033).
func TestInspectTokensImageRewardDir(t *testing.T) {
	dir, _ := testmodels.ImageRewardDir(t, 0)
	// The same directory with the tokenizer under another name, named in srbench.yaml.
	named := t.TempDir()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		name := e.Name()
		switch name {
		case "tokenizer.json":
			name = "bert.json"
		case "srbench.yaml":
			b = []byte("kind: imagereward\nstrings:\n  tokenizer: bert.json\n")
		}
		if err := os.WriteFile(filepath.Join(named, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		text string
		ids  []float64
	}{
		{"a [DEC] cat", []float64{101, 1037, 30522, 4937, 102}},
		{"a [ENC] dog", []float64{101, 1037, 30523, 3899, 102}},
		{"[DEC] a photo of a cat [ENC]", []float64{101, 30522, 1037, 6302, 1997, 1037, 4937, 30523, 102}},
		{"[DEC][ENC]", []float64{101, 30522, 30523, 102}},
		{"a photo of a cat", []float64{101, 1037, 6302, 1997, 1037, 4937, 102}},
	}
	texts := make([]string, len(tests))
	for i, tc := range tests {
		texts[i] = tc.text
	}
	for _, d := range []struct{ name, dir string }{{"tokenizer.json", dir}, {"named in srbench.yaml", named}} {
		t.Run(d.name, func(t *testing.T) {
			rows := inspectTokens(t, texts, "--tokenizer", d.dir)
			for i, tc := range tests {
				wantIDs, wantMask := padded(35, tc.ids...)
				if diff := cmp.Diff(wantIDs, rows[i]["ids"]); diff != "" {
					t.Errorf("%q: ids differ (-want +got):\n%s", tc.text, diff)
				}
				if diff := cmp.Diff(wantMask, rows[i]["attention_mask"]); diff != "" {
					t.Errorf("%q: attention mask differs (-want +got):\n%s", tc.text, diff)
				}
			}
		})
	}
	// --max-length 35 agrees with the set-up; another length is refused rather than
	// silently showing what the plugin does not feed.
	inspectTokens(t, texts[:1], "--tokenizer", dir, "--max-length", "35")
	out, err := srbench("inspect", "tokens", "--tokenizer", dir, "--max-length", "77").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "flag --max-length 77") || !strings.Contains(string(out), "length 35") {
		t.Errorf("--max-length 77 on an imagereward dir: err %v, output %s; want a refusal naming the flag and length 35", err, out)
	}
}

// TestInspectTokensCLIPDir: on a model directory of each CLIP kind, `inspect tokens`
// gives the reference ids of ../shared/golden/clip_tokens.jsonl (OpenAI's vocabulary
// in the directory, clip.tokenize semantics, length 77); "[DEC]" is plain text there.
func TestInspectTokensCLIPDir(t *testing.T) {
	b, err := os.ReadFile(testmodels.Shared(t, "golden/clip_tokens.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var want []map[string]any
	var texts []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[:20] {
		var row map[string]any
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatal(err)
		}
		want = append(want, row)
		texts = append(texts, row["text"].(string))
	}
	for _, kind := range []string{"clipscore", "pickscore", "socialreward"} {
		t.Run(kind, func(t *testing.T) {
			dir, _ := testmodels.CLIPDir(t, kind, "", clipmodel.WriteOptions{Combined: true}, 1)
			rows := inspectTokens(t, texts, "--tokenizer", dir)
			for i := range want {
				if diff := cmp.Diff(want[i]["ids"], rows[i]["ids"]); diff != "" {
					t.Errorf("%q: ids differ (-want +got):\n%s", want[i]["text"], diff)
				}
			}
		})
	}
}

// TestInspectTokensUnknownKind: a model directory of a kind without a known
// tokenizer set-up is refused, naming the field and the known kinds.
func TestInspectTokensUnknownKind(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "srbench.yaml"), []byte("kind: myscorer\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := srbench("inspect", "tokens", "--tokenizer", dir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), `field "kind" is "myscorer"`) || !strings.Contains(string(out), "clipscore, pickscore, socialreward, imagereward") {
		t.Errorf("err %v, output %s", err, out)
	}
}
