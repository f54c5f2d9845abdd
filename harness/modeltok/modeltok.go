package modeltok

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/srbench/srbench/harness/modeldir"
	"github.com/srbench/srbench/harness/tokenize"
)

// The scorer kinds whose tokenizer set-up this package knows.
const (
	KindCLIPScore    = "clipscore"
	KindPickScore    = "pickscore"
	KindSocialReward = "socialreward"
	KindImageReward  = "imagereward"
)

// Kinds returns the scorer kinds ForDir knows, in a fixed order.
func Kinds() []string {
	return []string{KindCLIPScore, KindPickScore, KindSocialReward, KindImageReward}
}

// Tokenizer is a scorer kind's tokenizer loaded from a model directory.
type Tokenizer struct {
	tokenize.Tokenizer
	// Path is the file the tokenizer was read from.
	Path string
	// Description says what the tokenizer is and how it is set up, for a
	// scorer's Describe (and so for reports).
	Description string
}

// ForDir returns the tokenizer the scorer of dir's kind (srbench.yaml kind)
// uses: ImageReward for imagereward, CLIP for clipscore, pickscore and
// socialreward. Another kind is an error naming the known ones.
func ForDir(dir *modeldir.Dir) (*Tokenizer, error) {
	switch dir.Manifest.Kind {
	case KindImageReward:
		return ImageReward(dir)
	case KindCLIPScore, KindPickScore, KindSocialReward:
		return CLIP(dir)
	}
	return nil, fmt.Errorf("model directory %s: file %q: field \"kind\" is %q, whose tokenizer set-up srbench does not know (known kinds: %s)",
		dir.Path, dir.File(modeldir.ManifestName), dir.Manifest.Kind, strings.Join(Kinds(), ", "))
}

// file returns the tokenizer file: the one srbench.yaml names under
// strings.tokenizer, else the first of defaults present.
func file(dir *modeldir.Dir, defaults ...string) (string, error) {
	if name := dir.Manifest.Strings["tokenizer"]; name != "" {
		return dir.FirstOf("tokenizer named in srbench.yaml", name)
	}
	return dir.FirstOf("tokenizer", defaults...)
}

// CLIP returns the tokenizer of the CLIP-family scorers (clipscore, pickscore,
// socialreward): the file srbench.yaml names under strings.tokenizer (e.g. to
// use OpenAI's vocabulary beside an Optimum export's tokenizer.json), else
// tokenizer.json, else bpe_simple_vocab_16e6.txt.gz, loaded by tokenize.Load
// with its defaults (OpenAI clip.tokenize semantics for the vocabulary file,
// the tokenizer.json's own padding and truncation otherwise).
func CLIP(dir *modeldir.Dir) (*Tokenizer, error) {
	path, err := file(dir, "tokenizer.json", "bpe_simple_vocab_16e6.txt.gz")
	if err != nil {
		return nil, err
	}
	t, err := tokenize.Load(path, tokenize.Options{})
	if err != nil {
		return nil, err
	}
	kind := "BPE"
	switch c := t.(type) {
	case *tokenize.CLIP:
		if c.OpenAISemantics() {
			kind = "CLIP BPE, OpenAI clip.tokenize semantics"
		} else {
			kind = "CLIP BPE, Hugging Face semantics"
		}
	case *tokenize.BERT:
		kind = "BERT WordPiece"
	}
	return &Tokenizer{Tokenizer: t, Path: path,
		Description: fmt.Sprintf("%s, length %d (%s)", kind, t.MaxLength(), filepath.Base(path))}, nil
}

// ImageReward returns ImageReward's tokenizer: the WordPiece tokenizer.json
// (or the file srbench.yaml names under strings.tokenizer) with ImageReward's
// set-up, tokenize.LoadImageRewardBERT: "[DEC]" added as bos token and
// "[ENC]" as additional special token (ids 30522 and 30523 with
// bert-base-uncased), padding and truncation to 35, [CLS] kept, no token
// type ids.
func ImageReward(dir *modeldir.Dir) (*Tokenizer, error) {
	path, err := file(dir, "tokenizer.json")
	if err != nil {
		return nil, err
	}
	t, err := tokenize.LoadImageRewardBERT(path)
	if err != nil {
		return nil, err
	}
	return &Tokenizer{Tokenizer: t, Path: path,
		Description: fmt.Sprintf("BERT WordPiece with ImageReward's set-up ([DEC] bos and [ENC] added; padding max_length, truncation, length %d; [CLS] kept, no token types) (%s)",
			t.MaxLength(), filepath.Base(path))}, nil
}
