// Package demo builds what `make demo` and the tests run on: model
// directories for every scorer made with the project's own ONNX graph
// builder (no downloaded weights), and the end-to-end demo.
package demo

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/srbench/srbench/harness/modeldir"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/tokenize"
)

// ModelOptions configure BuildModels. The zero value builds tiny models with seed 0.
type ModelOptions struct {
	// Size is "tiny" (default: built in seconds, well under 1 MB of ONNX per
	// model) or "base" (ViT-B/32-shaped CLIP with random weights, for
	// performance work: about 600 MB per model).
	Size string
	Seed uint64
	// Corpus is the text the demo tokenizer's small BPE vocabulary is learned
	// from; nil means DemoCorpus().
	Corpus []string
	// Scorers limits which model directories are built (nil: all).
	Scorers []string
}

// DemoCorpus is the default vocabulary corpus: words of the synthetic world's prompts.
func DemoCorpus() []string {
	return []string{"a photo depicts a red blue green yellow orange purple pink white black fox cat dog car house tree flower bird boat cup in on the snow forest city beach desert night watercolor oil painting photo sketch"}
}

// CLIPScorers are the scorers whose demo models are CLIP-shaped dual encoders.
var clipScorers = []struct{ name, variant, desc string }{
	{"clipscore", "hessel", "demo CLIP dual encoder, random weights"},
	{"pickscore", "", "demo CLIP dual encoder standing in for PickScore, random weights"},
	{"socialreward", "", "demo CLIP backbone for Social Reward, random weights"},
}

// BuildModels writes one model directory per scorer under outDir
// (outDir/<scorer>/) and returns their paths.
func BuildModels(outDir string, opts ModelOptions) ([]string, error) {
	var cfg clipmodel.Config
	switch opts.Size {
	case "", "tiny":
		cfg = clipmodel.Tiny()
	case "base":
		cfg = clipmodel.BaseB32()
	default:
		return nil, fmt.Errorf("model size %q: want tiny or base", opts.Size)
	}
	corpus := opts.Corpus
	if corpus == nil {
		corpus = DemoCorpus()
	}
	vocab, merges, err := tokenize.LearnCLIPBPE(corpus, 4000)
	if err != nil {
		return nil, err
	}
	tokJSON := tokenize.CLIPTokenizerJSON(vocab, merges)
	want := map[string]bool{}
	for _, s := range opts.Scorers {
		want[s] = true
	}
	var dirs []string
	for i, s := range clipScorers {
		if len(want) > 0 && !want[s.name] {
			continue
		}
		c := cfg
		c.Seed = opts.Seed*10 + uint64(i)
		w, err := clipmodel.NewWeights(c)
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(outDir, s.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		files := clipmodel.WriteOptions{Text: true, Vision: true}
		if s.name == "pickscore" {
			files = clipmodel.WriteOptions{Combined: true} // the logit scale lives in the combined graph
		}
		if opts.Size == "base" {
			files.ExternalDataThreshold = 1 << 20
		}
		if _, err := w.WriteDir(dir, files); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), tokJSON, 0o644); err != nil {
			return nil, err
		}
		m := modeldir.Manifest{Kind: s.name, Variant: s.variant, Description: s.desc}
		if err := modeldir.Write(dir, m); err != nil {
			return nil, err
		}
		dirs = append(dirs, dir)
	}
	return dirs, nil
}
