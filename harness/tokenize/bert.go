package tokenize

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/unicode/rangetable"
)

// BERT is a WordPiece tokenizer loaded from a Hugging Face tokenizer.json
// (BertNormalizer, BertPreTokenizer, WordPiece, [CLS] ... [SEP]).
type BERT struct {
	vocab      map[string]int32
	tokens     []string // id -> token, added tokens included
	unk        int32
	prefix     string
	maxChars   int
	maxLen     int
	start, end int64
	pad        int64
	normalize  normalizer
	added      addedVocab
}

var _ Tokenizer = (*BERT)(nil)

// imageRewardMaxLength is the max_length ImageReward passes to its
// tokenizer.
const imageRewardMaxLength = 35

// LoadImageRewardBERT loads a bert-base-uncased tokenizer.json with
// ImageReward's set-up: "[DEC]" added as the bos token and "[ENC]" as an
// additional special token (ids 30522 and 30523 for bert-base-uncased,
// assigned as Hugging Face does), padding and truncation to 35. Literal
// "[DEC]"/"[ENC]" in a prompt map to those ids.
func LoadImageRewardBERT(path string) (*BERT, error) {
	t, err := loadTokenizerJSON(path, Options{MaxLength: imageRewardMaxLength}, []string{"[DEC]", "[ENC]"})
	if err != nil {
		return nil, err
	}
	b, ok := t.(*BERT)
	if !ok {
		return nil, fmt.Errorf("tokenizer %q: ImageReward needs a WordPiece (BERT) tokenizer.json", path)
	}
	return b, nil
}

// MaxLength implements Tokenizer.
func (b *BERT) MaxLength() int { return b.maxLen }

// Token implements Tokenizer.
func (b *BERT) Token(id int64) (string, bool) {
	if id < 0 || id >= int64(len(b.tokens)) || b.tokens[id] == "" {
		return "", false
	}
	return b.tokens[id], true
}

// Encode implements Tokenizer.
func (b *BERT) Encode(text string) (Encoding, error) {
	if err := checkUTF8(text); err != nil {
		return Encoding{}, fmt.Errorf("bert tokenizer: %w", err)
	}
	body := make([]int32, 0, len(text)/4+4)
	var buf []byte
	b.added.each(text, b.normalize, func(seg string, id int32) {
		if id >= 0 {
			body = append(body, id)
			return
		}
		bertPreTokenize(seg, func(word string) {
			body, buf = b.appendWord(body, buf, word)
		})
	})
	return finish(body, b.start, b.end, b.pad, b.maxLen), nil
}

// appendWord is Hugging Face's WordPiece: a word of more than maxChars
// characters is the unknown token; otherwise greedy longest-match-first
// from the left, continuation pieces carrying the prefix ("##"); if some
// remainder matches nothing the whole word is the unknown token.
func (b *BERT) appendWord(dst []int32, buf []byte, word string) ([]int32, []byte) {
	if utf8.RuneCountInString(word) > b.maxChars {
		return append(dst, b.unk), buf
	}
	mark := len(dst)
	for s := 0; s < len(word); {
		e := len(word)
		found := int32(-1)
		for s < e {
			buf = buf[:0]
			if s > 0 {
				buf = append(buf, b.prefix...)
			}
			buf = append(buf, word[s:e]...)
			if id, ok := b.vocab[string(buf)]; ok {
				found = id
				break
			}
			_, sz := utf8.DecodeLastRuneInString(word[s:e])
			e -= sz
		}
		if found < 0 {
			return append(dst[:mark], b.unk), buf
		}
		dst = append(dst, found)
		s = e
	}
	return dst, buf
}

// bertPreTokenize is BertPreTokenizer: split on whitespace (removed), then
// isolate each punctuation character.
func bertPreTokenize(s string, emit func(string)) {
	start := -1
	for i, r := range s {
		switch {
		case isWhiteSpace(r):
			if start >= 0 {
				emit(s[start:i])
				start = -1
			}
		case isBertPunct(r):
			if start >= 0 {
				emit(s[start:i])
				start = -1
			}
			emit(s[i : i+utf8.RuneLen(r)])
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 {
		emit(s[start:])
	}
}

// unicode9 is the set of code points assigned in Unicode 9.0.0. Hugging
// Face tokenizers takes general categories from the unicode_categories
// crate (0.1.1, 2016: Unicode 9.0.0), so a character that is punctuation,
// a control or a nonspacing mark in Unicode 15 but was unassigned in 9.0
// is none of those for BERT. (Categories of characters assigned in 9.0
// rarely changed since; such changes are not modelled.)
var unicode9 = rangetable.Assigned("9.0.0")

// isBertPunct is BERT's punctuation: the ASCII ranges 33-47, 58-64, 91-96
// and 123-126 (which include symbols like $ + < = > ^ ` | ~) and every
// character of general category P.
func isBertPunct(r rune) bool {
	if r < utf8.RuneSelf {
		return (33 <= r && r <= 47) || (58 <= r && r <= 64) || (91 <= r && r <= 96) || (123 <= r && r <= 126)
	}
	return unicode.IsPunct(r) && unicode.Is(unicode9, r)
}

// isBertControl is BertNormalizer's is_control: categories Cc, Cf and Co,
// except tab, LF and CR (which count as whitespace).
func isBertControl(r rune) bool {
	if r == '\t' || r == '\n' || r == '\r' {
		return false
	}
	if r < utf8.RuneSelf {
		return r < 0x20 || r == 0x7f
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co) && unicode.Is(unicode9, r)
}

// isChineseChar is BertNormalizer's CJK test, with Hugging Face's ranges
// (its sixth range starts at U+2B920, not U+2B820 as in Google's BERT).
func isChineseChar(r rune) bool {
	return (0x4e00 <= r && r <= 0x9fff) || (0x3400 <= r && r <= 0x4dbf) ||
		(0x20000 <= r && r <= 0x2a6df) || (0x2a700 <= r && r <= 0x2b73f) ||
		(0x2b740 <= r && r <= 0x2b81f) || (0x2b920 <= r && r <= 0x2ceaf) ||
		(0xf900 <= r && r <= 0xfaff) || (0x2f800 <= r && r <= 0x2fa1f)
}

// bertNormalizer is Hugging Face's BertNormalizer.
func bertNormalizer(clean, chinese, stripAccents, lowercase bool) normalizer {
	return func(s string) string {
		if isASCII(s) {
			if clean {
				s = cleanText(s)
			}
			if lowercase {
				s = asciiLower(s)
			}
			return s
		}
		if clean {
			s = cleanText(s)
		}
		if chinese {
			s = padChinese(s)
		}
		if stripAccents {
			s = stripMn(norm.NFD.String(s))
		}
		if lowercase {
			s = perCharLower(s)
		}
		return s
	}
}

// cleanText drops NUL, U+FFFD and controls and turns whitespace into ' '.
func cleanText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == 0 || r == 0xfffd || isBertControl(r):
		case isWhiteSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func padChinese(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		if isChineseChar(r) {
			b.WriteByte(' ')
			b.WriteRune(r)
			b.WriteByte(' ')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// stripMn drops nonspacing marks (category Mn).
func stripMn(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) && unicode.Is(unicode9, r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
