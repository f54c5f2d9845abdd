package demo

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/srbench/srbench/harness/simworld"
	"github.com/srbench/srbench/harness/tokenize"
)

// clipMerges bounds the BPE merges learned for the demo CLIP tokenizer;
// the world's few dozen words need far fewer, so every corpus word ends up
// a single token.
const clipMerges = 4000

// DemoCorpus is the text the demo CLIP tokenizer's BPE vocabulary is
// learned from: every word of the synthetic world's prompt templates
// (colours, subjects, backgrounds, styles) and CLIPScore's prefix "A photo
// depicts", so each of them is one token.
func DemoCorpus() []string {
	parts := []string{"a photo depicts"}
	parts = append(parts, simworld.ColourNames()...)
	parts = append(parts, simworld.SubjectNames()...)
	parts = append(parts, simworld.BackgroundPhrases()...)
	parts = append(parts, simworld.StyleNames()...)
	return []string{strings.Join(parts, ", ")}
}

// worldWords lists the distinct lower-case words of DemoCorpus, sorted.
func worldWords() []string {
	var words []string
	for _, text := range DemoCorpus() {
		for _, w := range strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == ',' }) {
			words = append(words, strings.ToLower(w))
		}
	}
	slices.Sort(words)
	return slices.Compact(words)
}

// newTokenTable marks the colour and subject words among n token ids;
// lookup returns a word's id and whether it is a single token.
func newTokenTable(n int, lookup func(word string) (int, bool)) (tokenTable, error) {
	t := tokenTable{colour: make([]int, n), subject: make([]int, n)}
	for i := range t.colour {
		t.colour[i], t.subject[i] = -1, -1
	}
	for c, w := range simworld.ColourNames() {
		id, ok := lookup(w)
		if !ok {
			return tokenTable{}, fmt.Errorf("demo: colour word %q is not a single token of the demo vocabulary", w)
		}
		t.colour[id] = c
	}
	for s, w := range simworld.SubjectNames() {
		id, ok := lookup(w)
		if !ok {
			return tokenTable{}, fmt.Errorf("demo: subject word %q is not a single token of the demo vocabulary", w)
		}
		t.subject[id] = s
	}
	return t, nil
}

// clipVocabulary learns the demo BPE vocabulary from DemoCorpus plus extra
// text and returns its tokenizer.json and the designed text tower's token
// table (one row per id plus the unknown row).
func clipVocabulary(extra []string) ([]byte, tokenTable, error) {
	corpus := append(DemoCorpus(), extra...)
	vocab, merges, err := tokenize.LearnCLIPBPE(corpus, clipMerges)
	if err != nil {
		return nil, tokenTable{}, fmt.Errorf("demo: %w", err)
	}
	last := make(map[string]int, len(vocab))
	for i, tok := range vocab {
		last[tok] = i // CLIPTokenizerJSON keeps each token at its last id
	}
	t, err := newTokenTable(len(vocab)+1, func(w string) (int, bool) {
		id, ok := last[w+"</w>"]
		return id, ok
	})
	if err != nil {
		return nil, tokenTable{}, err
	}
	return tokenize.CLIPTokenizerJSON(vocab, merges), t, nil
}

// bertSpecial are the special tokens of a BERT vocabulary, at ids 0–4 here.
var bertSpecial = []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}

// bertVocabulary builds a small bert-style WordPiece vocabulary — the
// special tokens, ASCII punctuation and the world's words — and returns
// its tokenizer.json (Hugging Face layout: BertNormalizer with lower-casing,
// BertPreTokenizer, WordPiece with "##", [CLS] $A [SEP]) and the token
// table. ImageReward's loader adds [DEC] and [ENC] after the vocabulary
// (ids len(vocab) and len(vocab)+1); the table covers them (as unknown
// words) and ends with the unknown row.
func bertVocabulary() ([]byte, tokenTable, error) {
	vocab := slices.Clone(bertSpecial)
	for r := '!'; r <= '~'; r++ {
		if tokenizeIsBertPunct(r) {
			vocab = append(vocab, string(r))
		}
	}
	vocab = append(vocab, worldWords()...)
	ids := make(map[string]int, len(vocab))
	for i, w := range vocab {
		if _, dup := ids[w]; dup {
			return nil, tokenTable{}, fmt.Errorf("demo: BERT vocabulary: %q twice", w)
		}
		ids[w] = i
	}
	t, err := newTokenTable(len(vocab)+3, func(w string) (int, bool) {
		id, ok := ids[w]
		return id, ok
	})
	if err != nil {
		return nil, tokenTable{}, err
	}

	type added struct {
		ID         int    `json:"id"`
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		LStrip     bool   `json:"lstrip"`
		RStrip     bool   `json:"rstrip"`
		Normalized bool   `json:"normalized"`
		Special    bool   `json:"special"`
	}
	type special struct {
		SpecialToken struct {
			ID     string `json:"id"`
			TypeID int    `json:"type_id"`
		} `json:"SpecialToken"`
	}
	type sequence struct {
		Sequence struct {
			ID     string `json:"id"`
			TypeID int    `json:"type_id"`
		} `json:"Sequence"`
	}
	sp := func(tok string, typ int) special {
		var s special
		s.SpecialToken.ID, s.SpecialToken.TypeID = tok, typ
		return s
	}
	seq := func(id string, typ int) sequence {
		var s sequence
		s.Sequence.ID, s.Sequence.TypeID = id, typ
		return s
	}
	type specialEntry struct {
		ID     string   `json:"id"`
		IDs    []int    `json:"ids"`
		Tokens []string `json:"tokens"`
	}
	var addedTokens []added
	for i, s := range bertSpecial {
		addedTokens = append(addedTokens, added{ID: i, Content: s, Special: true})
	}
	file := struct {
		Version       string  `json:"version"`
		Truncation    any     `json:"truncation"`
		Padding       any     `json:"padding"`
		AddedTokens   []added `json:"added_tokens"`
		Normalizer    any     `json:"normalizer"`
		PreTokenizer  any     `json:"pre_tokenizer"`
		PostProcessor any     `json:"post_processor"`
		Decoder       any     `json:"decoder"`
		Model         any     `json:"model"`
	}{
		Version:     "1.0",
		AddedTokens: addedTokens,
		Normalizer: map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
			"strip_accents": nil, "lowercase": true},
		PreTokenizer: map[string]string{"type": "BertPreTokenizer"},
		PostProcessor: map[string]any{
			"type":   "TemplateProcessing",
			"single": []any{sp("[CLS]", 0), seq("A", 0), sp("[SEP]", 0)},
			"pair":   []any{sp("[CLS]", 0), seq("A", 0), sp("[SEP]", 0), seq("B", 1), sp("[SEP]", 1)},
			"special_tokens": map[string]specialEntry{
				"[CLS]": {ID: "[CLS]", IDs: []int{ids["[CLS]"]}, Tokens: []string{"[CLS]"}},
				"[SEP]": {ID: "[SEP]", IDs: []int{ids["[SEP]"]}, Tokens: []string{"[SEP]"}},
			},
		},
		Decoder: map[string]any{"type": "WordPiece", "prefix": "##", "cleanup": true},
		Model: map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
			"max_input_chars_per_word": 100, "vocab": ids},
	}
	data, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return nil, tokenTable{}, fmt.Errorf("demo: BERT tokenizer.json: %w", err)
	}
	return append(data, '\n'), t, nil
}

// tokenizeIsBertPunct is BERT's ASCII punctuation (the ranges 33–47,
// 58–64, 91–96 and 123–126), which BertPreTokenizer splits off as
// single-character words.
func tokenizeIsBertPunct(r rune) bool {
	return (33 <= r && r <= 47) || (58 <= r && r <= 64) || (91 <= r && r <= 96) || (123 <= r && r <= 126)
}
