package tokenize

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// CLIP is a CLIP byte-level BPE tokenizer with either OpenAI or Hugging
// Face semantics (see the package documentation).
type CLIP struct {
	bpe        *bpeModel
	openAI     bool
	maxLen     int
	start, end int64
	pad        int64
	// Hugging Face semantics only.
	normalize normalizer
	added     addedVocab
}

var _ Tokenizer = (*CLIP)(nil)

const (
	openAIMerges    = 49152 - 256 - 2
	openAIStartText = "<|startoftext|>"
	openAIEndText   = "<|endoftext|>"
	clipDefaultLen  = 77
)

// LoadOpenAIVocab reads an OpenAI CLIP BPE vocabulary (plain or gzipped
// text, such as bpe_simple_vocab_16e6.txt.gz) and returns a tokenizer with
// the semantics of clip.tokenize(text, context_length, truncate=True).
// Options.MaxLength is the context length (0 = 77); PadToken is ignored
// (OpenAI pads with 0).
func LoadOpenAIVocab(path string, opts Options) (*CLIP, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("openai vocabulary: %w", err)
	}
	defer f.Close()
	m, err := readOpenAIVocab(f)
	if err != nil {
		return nil, fmt.Errorf("openai vocabulary %q: %w", path, err)
	}
	maxLen := clipDefaultLen
	if opts.MaxLength != 0 {
		maxLen = opts.MaxLength
	}
	if maxLen < 2 {
		return nil, fmt.Errorf("openai vocabulary %q: MaxLength %d: want at least 2", path, maxLen)
	}
	return &CLIP{
		bpe:    m,
		openAI: true,
		maxLen: maxLen,
		start:  int64(m.ids[openAIStartText]),
		end:    int64(m.ids[openAIEndText]),
		pad:    0,
	}, nil
}

// openAIVocab parses the merges file the way simple_tokenizer does and
// returns the vocabulary (in id order) and the merges.
func openAIVocab(r io.Reader) (vocab []string, merges [][2]string, err error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	if err == nil && head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		defer gz.Close()
		r = gz
	} else {
		r = br
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, err
	}
	if !utf8.Valid(data) {
		return nil, nil, fmt.Errorf("not UTF-8 text")
	}
	lines := strings.Split(string(data), "\n")
	// merges = lines[1 : 49152-256-2+1]; line 0 is a version header.
	if len(lines) < openAIMerges+1 {
		return nil, nil, fmt.Errorf("%d lines: want a header and at least %d merges", len(lines), openAIMerges)
	}
	merges = make([][2]string, openAIMerges)
	for i := range merges {
		f := strings.Fields(lines[i+1])
		if len(f) != 2 {
			return nil, nil, fmt.Errorf("line %d: %q: want two symbols separated by a space", i+2, lines[i+1])
		}
		merges[i] = [2]string{f[0], f[1]}
	}
	order, char := bytesToUnicode()
	vocab = make([]string, 0, 512+len(merges)+2)
	for _, b := range order {
		vocab = append(vocab, string(char[b]))
	}
	for _, b := range order {
		vocab = append(vocab, string(char[b])+"</w>")
	}
	for _, m := range merges {
		vocab = append(vocab, m[0]+m[1])
	}
	vocab = append(vocab, openAIStartText, openAIEndText)
	return vocab, merges, nil
}

func readOpenAIVocab(r io.Reader) (*bpeModel, error) {
	vocab, merges, err := openAIVocab(r)
	if err != nil {
		return nil, err
	}
	ids := make(map[string]int32, len(vocab))
	for i, t := range vocab {
		ids[t] = int32(i) // a later duplicate wins, as in dict(zip(vocab, range))
	}
	return newBPEModel(ids, merges, "</w>", "")
}

// MaxLength implements Tokenizer.
func (c *CLIP) MaxLength() int { return c.maxLen }

// Token implements Tokenizer.
func (c *CLIP) Token(id int64) (string, bool) {
	if id < 0 || id >= int64(len(c.bpe.tokens)) || c.bpe.tokens[id] == "" {
		return "", false
	}
	return c.bpe.tokens[id], true
}

// OpenAISemantics reports whether the tokenizer follows OpenAI's
// clip.tokenize (true) or Hugging Face's CLIPTokenizerFast (false).
func (c *CLIP) OpenAISemantics() bool { return c.openAI }

// Encode implements Tokenizer.
func (c *CLIP) Encode(text string) (Encoding, error) {
	if err := checkUTF8(text); err != nil {
		return Encoding{}, fmt.Errorf("clip tokenizer: %w", err)
	}
	var body []int32
	if c.openAI {
		body = c.bodyOpenAI(text)
	} else {
		body = c.bodyHF(text)
	}
	return finish(body, c.start, c.end, c.pad, c.maxLen), nil
}

// cleanOpenAI is simple_tokenizer's whitespace_clean(basic_clean(text)).lower()
// with ftfy.fix_text replaced by NFC.
func cleanOpenAI(text string) string {
	s := norm.NFC.String(text)
	s = pyUnescape(pyUnescape(s))
	s = pyStrip(s)
	s = collapseWhiteSpace(s)
	s = pyStrip(s)
	return pyLower(s)
}

func (c *CLIP) bodyOpenAI(text string) []int32 {
	s := cleanOpenAI(text)
	body := make([]int32, 0, len(s)/3+4)
	splitCLIP(s, true, func(piece string) {
		// simple_tokenizer's cache is seeded with the two special tokens,
		// so their exact text maps to their ids.
		switch piece {
		case openAIStartText:
			body = append(body, int32(c.start))
		case openAIEndText:
			body = append(body, int32(c.end))
		default:
			body = c.bpe.appendPiece(body, piece)
		}
	})
	return body
}

func (c *CLIP) bodyHF(text string) []int32 {
	body := make([]int32, 0, len(text)/3+4)
	c.added.each(text, c.normalize, func(seg string, id int32) {
		if id >= 0 {
			body = append(body, id)
			return
		}
		splitCLIP(seg, false, func(piece string) {
			body = c.bpe.appendPiece(body, piece)
		})
	})
	return body
}

// splitCLIP calls emit for each match of CLIP's pre-tokenizer pattern
//
//	<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
//
// in s, scanning like a backtracking regex engine (leftmost match, first
// alternative that matches). With openAI the two special alternatives are
// present and the literal alternatives match case-insensitively (the
// pattern is compiled with re.IGNORECASE; on lowercased text this only
// lets 'ſ' stand for 's'). Hugging Face's pattern has neither.
func splitCLIP(s string, openAI bool, emit func(string)) {
	for i := 0; i < len(s); {
		rest := s[i:]
		if openAI && rest[0] == '<' {
			if n := matchLiteral(rest, openAIStartText, true); n > 0 {
				emit(rest[:n])
				i += n
				continue
			}
			if n := matchLiteral(rest, openAIEndText, true); n > 0 {
				emit(rest[:n])
				i += n
				continue
			}
		}
		if rest[0] == '\'' {
			if n := matchContraction(rest, openAI); n > 0 {
				emit(rest[:n])
				i += n
				continue
			}
		}
		r, sz := utf8.DecodeRuneInString(rest)
		switch {
		case isLetter(r):
			j := sz
			for j < len(rest) {
				r2, s2 := utf8.DecodeRuneInString(rest[j:])
				if !isLetter(r2) {
					break
				}
				j += s2
			}
			emit(rest[:j])
			i += j
		case isNumber(r):
			emit(rest[:sz])
			i += sz
		case isWhiteSpace(r):
			i += sz
		default:
			j := sz
			for j < len(rest) {
				r2, s2 := utf8.DecodeRuneInString(rest[j:])
				if isWhiteSpace(r2) || isLetter(r2) || isNumber(r2) {
					break
				}
				j += s2
			}
			emit(rest[:j])
			i += j
		}
	}
}

func isLetter(r rune) bool {
	if r < utf8.RuneSelf {
		return ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
	}
	return unicode.IsLetter(r)
}

func isNumber(r rune) bool {
	if r < utf8.RuneSelf {
		return '0' <= r && r <= '9'
	}
	return unicode.IsNumber(r)
}

var contractions = [...]string{"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"}

// matchContraction returns the length of the first contraction alternative
// matching at the start of s, or 0.
func matchContraction(s string, fold bool) int {
	for _, c := range contractions {
		if n := matchLiteral(s, c, fold); n > 0 {
			return n
		}
	}
	return 0
}

// matchLiteral returns the byte length of the prefix of s that matches the
// ASCII literal lit, or 0. With fold, a character also matches any
// character of its simple case-folding orbit (as the regex module's
// IGNORECASE does: 's' matches 'S' and 'ſ', 'k' matches the Kelvin sign).
func matchLiteral(s, lit string, fold bool) int {
	if !fold {
		if strings.HasPrefix(s, lit) {
			return len(lit)
		}
		return 0
	}
	n := 0
	for k := 0; k < len(lit); k++ {
		if n >= len(s) {
			return 0
		}
		r, sz := utf8.DecodeRuneInString(s[n:])
		if !foldEqual(r, rune(lit[k])) {
			return 0
		}
		n += sz
	}
	return n
}

func foldEqual(r, p rune) bool {
	if r == p {
		return true
	}
	for f := unicode.SimpleFold(p); f != p; f = unicode.SimpleFold(f) {
		if f == r {
			return true
		}
	}
	return false
}
