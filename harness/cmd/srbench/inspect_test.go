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
