package tokenize

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCLIPGolden checks every row of shared/golden/clip_tokens.jsonl
// (OpenAI clip.tokenize output) against the OpenAI-vocabulary tokenizer.
func TestCLIPGolden(t *testing.T) {
	t.Parallel()
	c := openAICLIP(t)
	rows := readJSONL[clipGoldenRow](t, clipGoldenPath)
	for i, row := range rows {
		t.Run(fmt.Sprintf("%02d", i), func(t *testing.T) {
			e, err := c.Encode(row.Text)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(row.IDs, e.IDs); diff != "" {
				t.Errorf("text %q: ids (-golden +got):\n%s", row.Text, diff)
			}
			if e.NTokensUntruncated != row.NTokensUntruncated || e.Truncated != row.Truncated {
				t.Errorf("text %q: n_tokens_untruncated, truncated = %d, %v; golden %d, %v",
					row.Text, e.NTokensUntruncated, e.Truncated, row.NTokensUntruncated, row.Truncated)
			}
			if diff := cmp.Diff(maskOf(row.IDs, 49407), e.AttentionMask); diff != "" {
				t.Errorf("text %q: attention mask (-want +got):\n%s", row.Text, diff)
			}
		})
	}
}

// TestBERTGolden checks every row of shared/golden/bert_tokens.jsonl
// (ImageReward's tokenizer call) against LoadImageRewardBERT.
func TestBERTGolden(t *testing.T) {
	t.Parallel()
	b := imageRewardBERT(t)
	if b.MaxLength() != 35 {
		t.Fatalf("MaxLength() = %d, want 35", b.MaxLength())
	}
	rows := readJSONL[bertGoldenRow](t, bertGoldenPath)
	for i, row := range rows {
		t.Run(fmt.Sprintf("%02d", i), func(t *testing.T) {
			e, err := b.Encode(row.Text)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(row.InputIDs, e.IDs); diff != "" {
				t.Errorf("text %q: input_ids (-golden +got):\n%s", row.Text, diff)
			}
			if diff := cmp.Diff(row.AttentionMask, e.AttentionMask); diff != "" {
				t.Errorf("text %q: attention_mask (-golden +got):\n%s", row.Text, diff)
			}
		})
	}
}

// TestHFCLIPMatchesOpenAIOnGolden loads CLIP from a tokenizer.json converted
// from the OpenAI vocabulary and checks it against the golden ids. The two
// semantics differ by design:
//   - padding: Hugging Face pads with the pad token (here the end token,
//     49407, as openai/clip-* tokenizers do), OpenAI with 0;
//   - text cleaning: CLIPTokenizerFast does not unescape HTML entities, so
//     for texts containing '&' its ids equal OpenAI's ids for the text with
//     every '&' escaped twice ("&amp;amp;"), which unescapes back to the
//     original text.
func TestHFCLIPMatchesOpenAIOnGolden(t *testing.T) {
	t.Parallel()
	h := hfCLIP(t)
	o := openAICLIP(t)
	if h.OpenAISemantics() || !o.OpenAISemantics() {
		t.Fatal("wrong semantics flags")
	}
	rows := readJSONL[clipGoldenRow](t, clipGoldenPath)
	entityRows := 0 // rows where unescaping matters
	for i, row := range rows {
		t.Run(fmt.Sprintf("%02d", i), func(t *testing.T) {
			e, err := h.Encode(row.Text)
			if err != nil {
				t.Fatal(err)
			}
			want := row.IDs
			if strings.Contains(row.Text, "&") {
				oe, err := o.Encode(strings.ReplaceAll(row.Text, "&", "&amp;amp;"))
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(oe.IDs, row.IDs) {
					entityRows++
				}
				want = oe.IDs
			}
			wantMask := maskOf(want, 49407)
			wantIDs := slices.Clone(want)
			for k := range wantIDs {
				if wantMask[k] == 0 {
					wantIDs[k] = 49407
				}
			}
			if diff := cmp.Diff(wantIDs, e.IDs); diff != "" {
				t.Errorf("text %q: ids (-want +got):\n%s", row.Text, diff)
			}
			if diff := cmp.Diff(wantMask, e.AttentionMask); diff != "" {
				t.Errorf("text %q: mask (-want +got):\n%s", row.Text, diff)
			}
			if !strings.Contains(row.Text, "&") && (e.NTokensUntruncated != row.NTokensUntruncated || e.Truncated != row.Truncated) {
				t.Errorf("text %q: n, truncated = %d, %v; golden %d, %v", row.Text, e.NTokensUntruncated, e.Truncated, row.NTokensUntruncated, row.Truncated)
			}
		})
	}
	if entityRows == 0 {
		t.Error("no golden row exercised the HTML-entity difference; the escaping branch proves nothing")
	}
}

type clipEdgeRow struct {
	Text   string `json:"text"`
	OpenAI struct {
		IDs                []int64 `json:"ids"`
		NTokensUntruncated int     `json:"n_tokens_untruncated"`
		Truncated          bool    `json:"truncated"`
	} `json:"openai"`
	HF struct {
		IDs                []int64 `json:"ids"`
		AttentionMask      []int64 `json:"attention_mask"`
		NTokensUntruncated int     `json:"n_tokens_untruncated"`
		Truncated          bool    `json:"truncated"`
	} `json:"hf"`
}

// TestCLIPEdgeReference compares both semantics with the independent Python
// implementation in testdata/gen_pyref.py (which reproduces the golden
// before writing) on edge cases: final sigma, U+0130, 'ſ' under
// IGNORECASE, special-token text, HTML entities of every kind, Unicode
// whitespace and U+001C..U+001F, combining marks, long texts, random soup.
func TestCLIPEdgeReference(t *testing.T) {
	t.Parallel()
	o := openAICLIP(t)
	h := hfCLIP(t)
	rows := readJSONL[clipEdgeRow](t, "testdata/clip_edge.jsonl")
	for i, row := range rows {
		name := row.Text
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(fmt.Sprintf("%03d", i), func(t *testing.T) {
			e, err := o.Encode(row.Text)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(row.OpenAI.IDs, e.IDs); diff != "" {
				t.Errorf("openai %q: ids (-python +got):\n%s", name, diff)
			}
			if e.NTokensUntruncated != row.OpenAI.NTokensUntruncated || e.Truncated != row.OpenAI.Truncated {
				t.Errorf("openai %q: n, truncated = %d, %v; python %d, %v", name, e.NTokensUntruncated, e.Truncated, row.OpenAI.NTokensUntruncated, row.OpenAI.Truncated)
			}
			e, err = h.Encode(row.Text)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(row.HF.IDs, e.IDs); diff != "" {
				t.Errorf("hf %q: ids (-python +got):\n%s", name, diff)
			}
			if diff := cmp.Diff(row.HF.AttentionMask, e.AttentionMask); diff != "" {
				t.Errorf("hf %q: mask (-python +got):\n%s", name, diff)
			}
			if e.NTokensUntruncated != row.HF.NTokensUntruncated || e.Truncated != row.HF.Truncated {
				t.Errorf("hf %q: n, truncated = %d, %v; python %d, %v", name, e.NTokensUntruncated, e.Truncated, row.HF.NTokensUntruncated, row.HF.Truncated)
			}
		})
	}
}
