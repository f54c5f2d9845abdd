package tokenize

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Tokenizer turns a prompt into a fixed-length row of token ids.
//
// Implementations are safe for concurrent use.
type Tokenizer interface {
	// Encode tokenizes one text. The returned slices have exactly
	// MaxLength() entries. The only error is for text that is not valid
	// UTF-8 (it wraps ErrInvalidUTF8).
	Encode(text string) (Encoding, error)
	// MaxLength is the fixed sequence length of every Encoding.
	MaxLength() int
	// Token returns the vocabulary string of an id (byte-level symbols
	// for CLIP, word pieces for BERT) and whether the id is known.
	Token(id int64) (string, bool)
}

// Encoding is one tokenized text.
type Encoding struct {
	// IDs has MaxLength entries: start token, text tokens, end token,
	// then padding.
	IDs []int64
	// AttentionMask is 1 on the start token, the text tokens and the end
	// token, 0 on padding.
	AttentionMask []int64
	// NTokensUntruncated counts the tokens the text would need without
	// truncation, both special tokens included.
	NTokensUntruncated int
	// Truncated reports NTokensUntruncated > MaxLength.
	Truncated bool
}

// Options configures Load. The zero value gives the defaults.
type Options struct {
	// MaxLength is the fixed sequence length. 0 means the default:
	//   - OpenAI vocabulary file: 77 (clip.tokenize's context_length);
	//   - tokenizer.json: its truncation.max_length, else its fixed padding
	//     length, else 77 for a BPE (CLIP) model and 512 for WordPiece (BERT).
	// It must be at least 2 (room for the start and end tokens).
	MaxLength int
	// PadToken names the padding token of a tokenizer.json tokenizer. ""
	// means: the padding section of tokenizer.json, else pad_token of a
	// tokenizer_config.json or special_tokens_map.json beside it (what
	// transformers' AutoTokenizer reads), else the end token for CLIP and
	// "[PAD]" for BERT. The OpenAI vocabulary always pads with 0.
	PadToken string
}

// ErrInvalidUTF8 is wrapped by Encode when the text is not valid UTF-8.
// Python tokenizers only ever see decoded str, so there is no reference
// behaviour to copy; srbench refuses rather than guessing a repair.
var ErrInvalidUTF8 = errors.New("text is not valid UTF-8")

// Load opens a tokenizer by file name and content:
//   - a directory: its tokenizer.json if present, else the first *.txt.gz
//     or *.txt file in it (a model directory, see docs/models.md);
//   - *.txt.gz or *.txt: an OpenAI CLIP BPE vocabulary such as
//     bpe_simple_vocab_16e6.txt.gz (gzip is detected by content), with
//     OpenAI clip.tokenize semantics;
//   - anything else is read as a Hugging Face tokenizer.json: model.type
//     "BPE" gives a CLIP tokenizer with Hugging Face semantics,
//     "WordPiece" a BERT tokenizer.
func Load(path string, opts Options) (Tokenizer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer %q: %w", path, err)
	}
	if st.IsDir() {
		p, err := findInDir(path)
		if err != nil {
			return nil, err
		}
		path = p
	}
	name := strings.ToLower(filepath.Base(path))
	if strings.HasSuffix(name, ".txt.gz") || strings.HasSuffix(name, ".txt") {
		return LoadOpenAIVocab(path, opts)
	}
	return LoadTokenizerJSON(path, opts)
}

func findInDir(dir string) (string, error) {
	p := filepath.Join(dir, "tokenizer.json")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	for _, pat := range []string{"*.txt.gz", "*.txt"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return "", fmt.Errorf("tokenizer directory %q: %w", dir, err)
		}
		if len(m) > 0 {
			return m[0], nil
		}
	}
	return "", fmt.Errorf("tokenizer directory %q: no tokenizer.json and no *.txt.gz or *.txt vocabulary", dir)
}

// Batch is a batch of encodings laid out for ONNX Runtime: IDs and
// AttentionMask are row-major [Size, SeqLen].
type Batch struct {
	IDs           []int64
	AttentionMask []int64
	Size, SeqLen  int
	// Truncated[i] reports whether text i was cut to SeqLen.
	Truncated []bool
}

// EncodeBatch encodes texts into one Batch. An error names the index of
// the first text that failed.
func EncodeBatch(t Tokenizer, texts []string) (Batch, error) {
	n := t.MaxLength()
	b := Batch{
		IDs:           make([]int64, 0, len(texts)*n),
		AttentionMask: make([]int64, 0, len(texts)*n),
		Size:          len(texts),
		SeqLen:        n,
		Truncated:     make([]bool, len(texts)),
	}
	for i, s := range texts {
		e, err := t.Encode(s)
		if err != nil {
			return Batch{}, fmt.Errorf("text %d: %w", i, err)
		}
		b.IDs = append(b.IDs, e.IDs...)
		b.AttentionMask = append(b.AttentionMask, e.AttentionMask...)
		b.Truncated[i] = e.Truncated
	}
	return b, nil
}

// checkUTF8 returns an error naming the first invalid byte offset.
func checkUTF8(text string) error {
	if utf8.ValidString(text) {
		return nil
	}
	for i := 0; i < len(text); {
		r, sz := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && sz == 1 {
			return fmt.Errorf("byte offset %d (0x%02x): %w", i, text[i], ErrInvalidUTF8)
		}
		i += sz
	}
	return ErrInvalidUTF8
}

// finish lays out start + body + end, truncating body so that the row fits
// maxLen (the end token is always kept) and padding with pad.
func finish(body []int32, start, end, pad int64, maxLen int) Encoding {
	n := len(body) + 2
	e := Encoding{
		IDs:                make([]int64, maxLen),
		AttentionMask:      make([]int64, maxLen),
		NTokensUntruncated: n,
		Truncated:          n > maxLen,
	}
	if len(body) > maxLen-2 {
		body = body[:maxLen-2]
	}
	e.IDs[0] = start
	for i, id := range body {
		e.IDs[i+1] = int64(id)
	}
	e.IDs[len(body)+1] = end
	used := len(body) + 2
	for i := range used {
		e.AttentionMask[i] = 1
	}
	for i := used; i < maxLen; i++ {
		e.IDs[i] = pad
	}
	return e
}
