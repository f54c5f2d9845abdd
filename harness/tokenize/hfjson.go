package tokenize

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// hfFile is the part of a Hugging Face tokenizer.json that srbench reads.
type hfFile struct {
	Truncation *struct {
		MaxLength int    `json:"max_length"`
		Direction string `json:"direction"`
	} `json:"truncation"`
	Padding *struct {
		Strategy  json.RawMessage `json:"strategy"`
		Direction string          `json:"direction"`
		PadID     *int64          `json:"pad_id"`
		PadToken  string          `json:"pad_token"`
	} `json:"padding"`
	AddedTokens []struct {
		ID         int64  `json:"id"`
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		LStrip     bool   `json:"lstrip"`
		RStrip     bool   `json:"rstrip"`
		Normalized bool   `json:"normalized"`
		Special    bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Model         struct {
		Type                    string           `json:"type"`
		Vocab                   map[string]int64 `json:"vocab"`
		Merges                  json.RawMessage  `json:"merges"`
		UnkToken                *string          `json:"unk_token"`
		ContinuingSubwordPrefix *string          `json:"continuing_subword_prefix"`
		EndOfWordSuffix         *string          `json:"end_of_word_suffix"`
		MaxInputCharsPerWord    *int             `json:"max_input_chars_per_word"`
		Dropout                 *float64         `json:"dropout"`
		ByteFallback            bool             `json:"byte_fallback"`
	} `json:"model"`
}

// clipSplitPattern is the pre-tokenizer pattern transformers' CLIPConverter
// writes.
const clipSplitPattern = `'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`

const bertDefaultLen = 512

// LoadTokenizerJSON reads a Hugging Face tokenizer.json. A "BPE" model must
// be CLIP's (byte-level, "</w>" suffix, CLIP's split pattern) and gives a
// *CLIP with Hugging Face semantics; a "WordPiece" model gives a *BERT.
// Components srbench does not implement are reported as errors, never
// silently approximated.
func LoadTokenizerJSON(path string, opts Options) (Tokenizer, error) {
	return loadTokenizerJSON(path, opts, nil)
}

func loadTokenizerJSON(path string, opts Options, extraSpecial []string) (Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer.json: %w", err)
	}
	var f hfFile
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("tokenizer.json %q: %w", path, err)
	}
	t, err := buildHF(&f, path, opts, extraSpecial)
	if err != nil {
		return nil, fmt.Errorf("tokenizer.json %q: %w", path, err)
	}
	return t, nil
}

// hfCommon holds what both model kinds share.
type hfCommon struct {
	vocab      map[string]int32
	tokens     []string
	normalize  normalizer
	added      addedVocab
	maxLen     int
	start, end int64
	pad        int64
}

func buildHF(f *hfFile, path string, opts Options, extraSpecial []string) (Tokenizer, error) {
	kind := f.Model.Type
	if kind == "" {
		// Older tokenizer.json files omit the type; tell the models apart
		// by their fields as the untagged deserializer does.
		switch {
		case len(f.Model.Merges) > 0:
			kind = "BPE"
		case f.Model.MaxInputCharsPerWord != nil:
			kind = "WordPiece"
		}
	}
	if kind != "BPE" && kind != "WordPiece" {
		return nil, fmt.Errorf("field \"model.type\": %q: want \"BPE\" (CLIP) or \"WordPiece\" (BERT)", f.Model.Type)
	}
	if len(f.Model.Vocab) == 0 {
		return nil, errors.New("field \"model.vocab\": empty or missing")
	}
	c := &hfCommon{vocab: make(map[string]int32, len(f.Model.Vocab))}
	maxID := int64(-1)
	for tok, id := range f.Model.Vocab {
		if id < 0 || id > 1<<30 {
			return nil, fmt.Errorf("field \"model.vocab\": token %q: id %d out of range", tok, id)
		}
		c.vocab[tok] = int32(id)
		maxID = max(maxID, id)
	}
	for _, a := range f.AddedTokens {
		if a.ID < 0 || a.ID > 1<<30 {
			return nil, fmt.Errorf("field \"added_tokens\": token %q: id %d out of range", a.Content, a.ID)
		}
		maxID = max(maxID, a.ID)
	}

	var err error
	c.normalize, err = parseNormalizer(f.Normalizer)
	if err != nil {
		return nil, fmt.Errorf("field \"normalizer\": %w", err)
	}

	// Added tokens, then the ones added in code (ImageReward), with ids
	// assigned like AddedVocabulary::add_tokens.
	type added struct {
		content                            string
		id                                 int64
		lstrip, rstrip, normalized, single bool
	}
	var all []added
	known := map[string]int64{}
	maxAdded := int64(-1)
	for _, a := range f.AddedTokens {
		all = append(all, added{a.Content, a.ID, a.LStrip, a.RStrip, a.Normalized, a.SingleWord})
		known[a.Content] = a.ID
		maxAdded = max(maxAdded, a.ID)
	}
	for _, s := range extraSpecial {
		if _, ok := known[s]; ok {
			continue
		}
		id, ok := int64(0), false
		if v, inVocab := c.vocab[s]; inVocab {
			id, ok = int64(v), true
		}
		if !ok {
			id = int64(len(c.vocab))
			if maxAdded >= int64(len(c.vocab)) {
				id = maxAdded + 1
			}
		}
		all = append(all, added{content: s, id: id})
		known[s] = id
		maxAdded = max(maxAdded, id)
		maxID = max(maxID, id)
	}
	c.tokens = make([]string, maxID+1)
	for tok, id := range c.vocab {
		c.tokens[id] = tok
	}
	for _, a := range all {
		if a.content == "" {
			return nil, errors.New("field \"added_tokens\": empty content")
		}
		if a.single {
			return nil, fmt.Errorf("field \"added_tokens\": token %q: single_word is not supported", a.content)
		}
		c.tokens[a.id] = a.content
		t := addedToken{content: a.content, id: int32(a.id), lstrip: a.lstrip, rstrip: a.rstrip}
		if a.normalized {
			if c.normalize != nil {
				t.content = c.normalize(t.content)
			}
			if t.content == "" {
				continue
			}
			c.added.norm = append(c.added.norm, t)
		} else {
			c.added.raw = append(c.added.raw, t)
		}
	}

	lookup := func(tok string) (int32, bool) {
		if id, ok := known[tok]; ok {
			return int32(id), true
		}
		id, ok := c.vocab[tok]
		return id, ok
	}

	c.start, c.end, err = parsePostProcessor(f.PostProcessor, lookup)
	if err != nil {
		return nil, fmt.Errorf("field \"post_processor\": %w", err)
	}

	// Length.
	c.maxLen = opts.MaxLength
	if c.maxLen == 0 && f.Truncation != nil {
		c.maxLen = f.Truncation.MaxLength
	}
	if c.maxLen == 0 && f.Padding != nil {
		var fixed struct {
			Fixed int `json:"Fixed"`
		}
		if json.Unmarshal(f.Padding.Strategy, &fixed) == nil {
			c.maxLen = fixed.Fixed
		}
	}
	if c.maxLen == 0 {
		c.maxLen = bertDefaultLen
		if kind == "BPE" {
			c.maxLen = clipDefaultLen
		}
	}
	if c.maxLen < 2 {
		return nil, fmt.Errorf("max length %d: want at least 2", c.maxLen)
	}
	if f.Truncation != nil && f.Truncation.Direction != "" && f.Truncation.Direction != "Right" {
		return nil, fmt.Errorf("field \"truncation.direction\": %q: only \"Right\" is supported", f.Truncation.Direction)
	}
	if f.Padding != nil && f.Padding.Direction != "" && f.Padding.Direction != "Right" {
		return nil, fmt.Errorf("field \"padding.direction\": %q: only \"Right\" is supported", f.Padding.Direction)
	}

	// Padding token.
	pad, err := resolvePad(f, path, opts, kind, c.end, lookup)
	if err != nil {
		return nil, err
	}
	c.pad = pad

	if kind == "BPE" {
		return buildCLIP(f, c)
	}
	return buildBERT(f, c)
}

// resolvePad picks the padding id: Options.PadToken, the padding section,
// pad_token of tokenizer_config.json or special_tokens_map.json beside the
// file, else the end token (CLIP) or "[PAD]" (BERT).
func resolvePad(f *hfFile, path string, opts Options, kind string, end int64, lookup func(string) (int32, bool)) (int64, error) {
	if opts.PadToken != "" {
		id, ok := lookup(opts.PadToken)
		if !ok {
			return 0, fmt.Errorf("Options.PadToken %q: not in the vocabulary", opts.PadToken)
		}
		return int64(id), nil
	}
	if f.Padding != nil {
		if f.Padding.PadID != nil {
			return *f.Padding.PadID, nil
		}
		if id, ok := lookup(f.Padding.PadToken); ok {
			return int64(id), nil
		}
	}
	dir := filepath.Dir(path)
	for _, name := range []string{"tokenizer_config.json", "special_tokens_map.json"} {
		tok, err := siblingPadToken(filepath.Join(dir, name))
		if err != nil {
			return 0, err
		}
		if tok == "" {
			continue
		}
		id, ok := lookup(tok)
		if !ok {
			return 0, fmt.Errorf("%s: pad_token %q: not in the vocabulary", name, tok)
		}
		return int64(id), nil
	}
	if kind == "BPE" {
		return end, nil
	}
	if id, ok := lookup("[PAD]"); ok {
		return int64(id), nil
	}
	return 0, errors.New("no padding token: no padding section, no pad_token beside the file and no \"[PAD]\"")
}

// siblingPadToken reads pad_token (a string or {"content": ...}) from a
// transformers config file; "" if the file or the field is absent.
func siblingPadToken(path string) (string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var cfg struct {
		PadToken json.RawMessage `json:"pad_token"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return "", fmt.Errorf("%q: %w", path, err)
	}
	if len(cfg.PadToken) == 0 || string(cfg.PadToken) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(cfg.PadToken, &s) == nil {
		return s, nil
	}
	var obj struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(cfg.PadToken, &obj); err != nil {
		return "", fmt.Errorf("%q: field \"pad_token\": want a string or an object with \"content\"", path)
	}
	return obj.Content, nil
}

func buildCLIP(f *hfFile, c *hfCommon) (*CLIP, error) {
	m := f.Model
	if m.Dropout != nil && *m.Dropout != 0 {
		return nil, fmt.Errorf("field \"model.dropout\": %v: BPE dropout is not supported", *m.Dropout)
	}
	if m.ByteFallback {
		return nil, errors.New("field \"model.byte_fallback\": not supported")
	}
	if m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "" {
		return nil, fmt.Errorf("field \"model.continuing_subword_prefix\": %q: CLIP uses none", *m.ContinuingSubwordPrefix)
	}
	if m.EndOfWordSuffix == nil || *m.EndOfWordSuffix != "</w>" {
		return nil, errors.New("field \"model.end_of_word_suffix\": want \"</w>\" (a CLIP tokenizer)")
	}
	if err := checkCLIPPreTokenizer(f.PreTokenizer); err != nil {
		return nil, fmt.Errorf("field \"pre_tokenizer\": %w", err)
	}
	merges, err := parseMerges(m.Merges)
	if err != nil {
		return nil, fmt.Errorf("field \"model.merges\": %w", err)
	}
	unk := ""
	if m.UnkToken != nil {
		unk = *m.UnkToken
	}
	bpe, err := newBPEModel(c.vocab, merges, *m.EndOfWordSuffix, unk)
	if err != nil {
		return nil, fmt.Errorf("field \"model\": %w", err)
	}
	bpe.tokens = c.tokens
	return &CLIP{bpe: bpe, maxLen: c.maxLen, start: c.start, end: c.end, pad: c.pad,
		normalize: c.normalize, added: c.added}, nil
}

func buildBERT(f *hfFile, c *hfCommon) (*BERT, error) {
	m := f.Model
	if err := checkBERTPreTokenizer(f.PreTokenizer); err != nil {
		return nil, fmt.Errorf("field \"pre_tokenizer\": %w", err)
	}
	b := &BERT{vocab: c.vocab, tokens: c.tokens, prefix: "##", maxChars: 100, maxLen: c.maxLen,
		start: c.start, end: c.end, pad: c.pad, normalize: c.normalize, added: c.added}
	if m.ContinuingSubwordPrefix != nil {
		b.prefix = *m.ContinuingSubwordPrefix
	}
	if m.MaxInputCharsPerWord != nil {
		b.maxChars = *m.MaxInputCharsPerWord
	}
	unk := "[UNK]"
	if m.UnkToken != nil {
		unk = *m.UnkToken
	}
	id, ok := c.vocab[unk]
	if !ok {
		return nil, fmt.Errorf("field \"model.unk_token\": %q is not in the vocabulary", unk)
	}
	b.unk = id
	return b, nil
}

// parseMerges reads merges as ["a b", ...] (tokenizers < 0.20) or
// [["a", "b"], ...].
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	var strs []string
	if err := json.Unmarshal(raw, &strs); err == nil {
		out := make([][2]string, len(strs))
		for i, s := range strs {
			a, b, ok := strings.Cut(s, " ")
			if !ok || a == "" || b == "" || strings.Contains(b, " ") {
				return nil, fmt.Errorf("entry %d: %q: want two symbols separated by one space", i, s)
			}
			out[i] = [2]string{a, b}
		}
		return out, nil
	}
	var pairs [][]string
	if err := json.Unmarshal(raw, &pairs); err != nil {
		return nil, errors.New("want a list of \"a b\" strings or of [a, b] pairs")
	}
	out := make([][2]string, len(pairs))
	for i, p := range pairs {
		if len(p) != 2 {
			return nil, fmt.Errorf("entry %d: %d symbols, want 2", i, len(p))
		}
		out[i] = [2]string{p[0], p[1]}
	}
	return out, nil
}

type jsonComponent struct {
	Type string `json:"type"`
	// Sequence
	Normalizers   []json.RawMessage `json:"normalizers"`
	PreTokenizers []json.RawMessage `json:"pretokenizers"`
	Processors    []json.RawMessage `json:"processors"`
	// Replace, Split
	Pattern *struct {
		Regex  *string `json:"Regex"`
		String *string `json:"String"`
	} `json:"pattern"`
	Content  string `json:"content"`
	Behavior string `json:"behavior"`
	Invert   bool   `json:"invert"`
	// Strip
	StripLeft  bool `json:"strip_left"`
	StripRight bool `json:"strip_right"`
	// BertNormalizer
	CleanText          *bool `json:"clean_text"`
	HandleChineseChars *bool `json:"handle_chinese_chars"`
	StripAccents       *bool `json:"strip_accents"`
	Lowercase          *bool `json:"lowercase"`
	// ByteLevel
	AddPrefixSpace bool  `json:"add_prefix_space"`
	UseRegex       *bool `json:"use_regex"`
	// RobertaProcessing, BertProcessing, TemplateProcessing
	Sep    []json.RawMessage `json:"sep"`
	Cls    []json.RawMessage `json:"cls"`
	Single []struct {
		SpecialToken *struct {
			ID string `json:"id"`
		} `json:"SpecialToken"`
		Sequence *struct {
			ID string `json:"id"`
		} `json:"Sequence"`
	} `json:"single"`
	SpecialTokens map[string]struct {
		IDs []int64 `json:"ids"`
	} `json:"special_tokens"`
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// parseNormalizer supports the normalizers of CLIP and BERT tokenizers:
// Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Strip, Replace (a String
// pattern, or the Regex \s+) and BertNormalizer.
func parseNormalizer(raw json.RawMessage) (normalizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var c jsonComponent
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	switch c.Type {
	case "Sequence":
		var steps []normalizer
		for i, r := range c.Normalizers {
			n, err := parseNormalizer(r)
			if err != nil {
				return nil, fmt.Errorf("normalizers[%d]: %w", i, err)
			}
			if n != nil {
				steps = append(steps, n)
			}
		}
		return func(s string) string {
			for _, n := range steps {
				s = n(s)
			}
			return s
		}, nil
	case "NFC":
		return norm.NFC.String, nil
	case "NFD":
		return norm.NFD.String, nil
	case "NFKC":
		return norm.NFKC.String, nil
	case "NFKD":
		return norm.NFKD.String, nil
	case "Lowercase":
		return perCharLower, nil
	case "Strip":
		l, r := c.StripLeft, c.StripRight
		return func(s string) string {
			if l {
				s = strings.TrimLeftFunc(s, isWhiteSpace)
			}
			if r {
				s = strings.TrimRightFunc(s, isWhiteSpace)
			}
			return s
		}, nil
	case "Replace":
		if c.Pattern == nil {
			return nil, errors.New("normalizer Replace: missing pattern")
		}
		content := c.Content
		if c.Pattern.String != nil {
			old := *c.Pattern.String
			if old == "" {
				return nil, errors.New("normalizer Replace: empty String pattern")
			}
			return func(s string) string { return strings.ReplaceAll(s, old, content) }, nil
		}
		if c.Pattern.Regex != nil && *c.Pattern.Regex == `\s+` {
			return func(s string) string { return replaceWhiteSpaceRuns(s, content) }, nil
		}
		return nil, fmt.Errorf("normalizer Replace: pattern %s is not supported (only the Regex \\s+ and String patterns)", patternString(c))
	case "BertNormalizer":
		clean, chinese, lower := true, true, true
		if c.CleanText != nil {
			clean = *c.CleanText
		}
		if c.HandleChineseChars != nil {
			chinese = *c.HandleChineseChars
		}
		if c.Lowercase != nil {
			lower = *c.Lowercase
		}
		strip := lower // strip_accents: null follows lowercase
		if c.StripAccents != nil {
			strip = *c.StripAccents
		}
		return bertNormalizer(clean, chinese, strip, lower), nil
	}
	return nil, fmt.Errorf("type %q is not supported", c.Type)
}

func patternString(c jsonComponent) string {
	if c.Pattern != nil && c.Pattern.Regex != nil {
		return fmt.Sprintf("Regex %q", *c.Pattern.Regex)
	}
	return "?"
}

// flattenPre lists the pre-tokenizers of a (possibly nested) Sequence.
func flattenPre(raw json.RawMessage) ([]jsonComponent, error) {
	if isNull(raw) {
		return nil, nil
	}
	var c jsonComponent
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	if c.Type != "Sequence" {
		return []jsonComponent{c}, nil
	}
	var out []jsonComponent
	for _, r := range c.PreTokenizers {
		sub, err := flattenPre(r)
		if err != nil {
			return nil, err
		}
		out = append(out, sub...)
	}
	return out, nil
}

// checkCLIPPreTokenizer accepts what CLIPConverter writes: Split with
// CLIP's pattern (matches kept, the rest removed), then ByteLevel without
// a prefix space.
func checkCLIPPreTokenizer(raw json.RawMessage) error {
	steps, err := flattenPre(raw)
	if err != nil {
		return err
	}
	if len(steps) == 2 && steps[0].Type == "Split" && steps[1].Type == "ByteLevel" {
		s, b := steps[0], steps[1]
		if s.Pattern == nil || s.Pattern.Regex == nil || *s.Pattern.Regex != clipSplitPattern {
			return fmt.Errorf("pre-tokenizer Split: pattern %s: want Regex %q", patternString(s), clipSplitPattern)
		}
		if s.Behavior != "Removed" || !s.Invert {
			return fmt.Errorf("pre-tokenizer Split: behavior %q, invert %v: want \"Removed\", true", s.Behavior, s.Invert)
		}
		// use_regex (GPT-2's pattern, true in files written by recent
		// transformers) changes nothing here: every piece of CLIP's split
		// is a single match of GPT-2's pattern too.
		if b.AddPrefixSpace {
			return errors.New("ByteLevel: want add_prefix_space false")
		}
		return nil
	}
	types := make([]string, len(steps))
	for i, s := range steps {
		types[i] = s.Type
	}
	return fmt.Errorf("%v: want [Split ByteLevel] as written by transformers' CLIPConverter (files from transformers < 4.17 used GPT-2's ByteLevel regex and tokenized CLIP text wrongly; re-save the tokenizer)", types)
}

func checkBERTPreTokenizer(raw json.RawMessage) error {
	steps, err := flattenPre(raw)
	if err != nil {
		return err
	}
	if len(steps) == 1 && steps[0].Type == "BertPreTokenizer" {
		return nil
	}
	types := make([]string, len(steps))
	for i, s := range steps {
		types[i] = s.Type
	}
	return fmt.Errorf("%v: want [BertPreTokenizer]", types)
}

// parsePostProcessor finds the start and end tokens that frame a single
// sequence: RobertaProcessing and BertProcessing (cls, sep),
// TemplateProcessing with "single" = [special, $A, special], or a Sequence
// holding one of those (ByteLevel steps only touch offsets).
func parsePostProcessor(raw json.RawMessage, lookup func(string) (int32, bool)) (start, end int64, err error) {
	if isNull(raw) {
		return 0, 0, errors.New("missing: a start and an end token are needed")
	}
	var c jsonComponent
	if err := json.Unmarshal(raw, &c); err != nil {
		return 0, 0, err
	}
	switch c.Type {
	case "Sequence":
		for _, p := range c.Processors {
			var sub jsonComponent
			if err := json.Unmarshal(p, &sub); err != nil {
				return 0, 0, err
			}
			if sub.Type == "ByteLevel" {
				continue
			}
			return parsePostProcessor(p, lookup)
		}
		return 0, 0, errors.New("post-processor Sequence without a Roberta, Bert or Template processor")
	case "RobertaProcessing", "BertProcessing":
		s, err := pairID(c.Cls)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: cls: %w", c.Type, err)
		}
		e, err := pairID(c.Sep)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: sep: %w", c.Type, err)
		}
		return s, e, nil
	case "TemplateProcessing":
		if len(c.Single) != 3 || c.Single[0].SpecialToken == nil || c.Single[1].Sequence == nil || c.Single[2].SpecialToken == nil {
			return 0, 0, errors.New("TemplateProcessing: single: want [special token, $A, special token]")
		}
		ids := [2]int64{}
		for k, item := range []string{c.Single[0].SpecialToken.ID, c.Single[2].SpecialToken.ID} {
			st, ok := c.SpecialTokens[item]
			if !ok || len(st.IDs) != 1 {
				id, found := lookup(item)
				if !found {
					return 0, 0, fmt.Errorf("TemplateProcessing: special token %q: want exactly one id", item)
				}
				ids[k] = int64(id)
				continue
			}
			ids[k] = st.IDs[0]
		}
		return ids[0], ids[1], nil
	}
	return 0, 0, fmt.Errorf("type %q is not supported", c.Type)
}

// pairID reads ["token", id].
func pairID(raw []json.RawMessage) (int64, error) {
	if len(raw) != 2 {
		return 0, errors.New("want [token, id]")
	}
	var id int64
	if err := json.Unmarshal(raw[1], &id); err != nil {
		return 0, fmt.Errorf("id: %w", err)
	}
	return id, nil
}
