package demo

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/srbench/srbench/harness/internal/suggest"
	"github.com/srbench/srbench/harness/modeldir"
	"github.com/srbench/srbench/harness/onnx/blipmodel"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/onnx/graph"
)

// ModelOptions configure BuildModels. The zero value builds the designed
// ("tiny") models of every scorer.
type ModelOptions struct {
	// Size is "tiny" (default): the designed demo models, which see the
	// synthetic world (built in well under a second, about 100 kB each);
	// or "base": real-sized graphs with seeded random weights for
	// performance work (ViT-B/32-shaped CLIP, about 600 MB per CLIP model;
	// BLIP-base-shaped ImageReward, about 900 MB).
	Size string
	// Seed seeds the random weights of the base models. The designed tiny
	// models have no random weights and ignore it.
	Seed uint64
	// Corpus is extra text the demo CLIP tokenizer's BPE vocabulary is
	// learned from, on top of DemoCorpus() (which is always included, so
	// every world word stays one token).
	Corpus []string
	// Scorers limits which model directories are built (nil: all of
	// Scorers()).
	Scorers []string
}

// The scorers BuildModels knows, in build order.
const (
	ScorerCLIPScore    = "clipscore"
	ScorerPickScore    = "pickscore"
	ScorerImageReward  = "imagereward"
	ScorerSocialReward = "socialreward"
)

// Scorers lists the scorers BuildModels builds model directories for.
func Scorers() []string {
	return []string{ScorerCLIPScore, ScorerPickScore, ScorerImageReward, ScorerSocialReward}
}

// scorerTitle is each scorer's usual name, for descriptions.
var scorerTitle = map[string]string{
	ScorerCLIPScore: "CLIPScore", ScorerPickScore: "PickScore",
	ScorerImageReward: "ImageReward", ScorerSocialReward: "Social Reward",
}

// baseSeed offsets each base model's weight seed (opts.Seed·10 + offset).
var baseSeed = map[string]uint64{ScorerCLIPScore: 0, ScorerPickScore: 1, ScorerSocialReward: 2, ScorerImageReward: 3}

// Description is the srbench.yaml description of a demo model directory.
func Description(scorer, size string) string {
	if size == "base" {
		return fmt.Sprintf("random-weight real-sized model for performance work (srbench models demo --size base); not the real %s", scorerTitle[scorer])
	}
	return fmt.Sprintf("demo model designed for the srbench synthetic world; not the real %s", scorerTitle[scorer])
}

// BuildModels writes one model directory per scorer under outDir
// (outDir/<scorer>/) and returns their paths, in the order of Scorers().
//
// Tiny (designed) models: clipscore and socialreward get the designed CLIP
// as text_model.onnx + vision_model.onnx (the same weights: Social Reward
// starts from CLIP); pickscore gets the combined model.onnx with a logit
// scale of ln 100 and a text side that also asks for clean images;
// imagereward gets the designed ImageReward proxy. CLIP models come with
// the demo BPE tokenizer.json, imagereward with a small bert-style WordPiece
// tokenizer.json. Base models have the same files and tokenizers with
// random weights.
func BuildModels(outDir string, opts ModelOptions) ([]string, error) {
	switch opts.Size {
	case "", "tiny", "base":
	default:
		return nil, fmt.Errorf("model size %q: want tiny or base", opts.Size)
	}
	want := map[string]bool{}
	for _, s := range opts.Scorers {
		if !slices.Contains(Scorers(), s) {
			if c := suggest.Closest(s, Scorers()); c != "" {
				return nil, fmt.Errorf("unknown scorer %q (did you mean %q?); known: %v", s, c, Scorers())
			}
			return nil, fmt.Errorf("unknown scorer %q; known: %v", s, Scorers())
		}
		want[s] = true
	}
	clipTok, clipTable, err := clipVocabulary(opts.Corpus)
	if err != nil {
		return nil, err
	}
	bertTok, bertTable, err := bertVocabulary()
	if err != nil {
		return nil, err
	}
	d, err := newDesign()
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, s := range Scorers() {
		if len(want) > 0 && !want[s] {
			continue
		}
		dir := filepath.Join(outDir, s)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		tok := clipTok
		if s == ScorerImageReward {
			tok = bertTok
		}
		if opts.Size == "base" {
			err = writeBase(dir, s, opts.Seed*10+baseSeed[s])
		} else {
			err = writeDesigned(dir, s, d, clipTable, bertTable)
		}
		if err != nil {
			return nil, fmt.Errorf("demo model %s: %w", s, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), tok, 0o644); err != nil {
			return nil, err
		}
		m := modeldir.Manifest{Kind: s, Description: Description(s, opts.Size)}
		switch s {
		case ScorerCLIPScore:
			m.Variant = "hessel"
		case ScorerImageReward:
			m.Variant = "srbench-demo" // not the released ImageReward-v1.0 the plugin names by default
		}
		if err := modeldir.Write(dir, m); err != nil {
			return nil, err
		}
		dirs = append(dirs, dir)
	}
	if len(want) == 0 {
		// The Python example plugin reads no weights; its directory only
		// names it, so that `srbench run --models ROOT` and `plugins list`
		// find a model directory for every plugin `make build` builds
		// (socialreward-torch's is made by its init-random command).
		dir := filepath.Join(outDir, WeightlessColorfulness)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := modeldir.Write(dir, modeldir.Manifest{Kind: WeightlessColorfulness,
			Description: "no weights: the colorfulness plugin (plugins/colorfulness) computes Hasler & Süsstrunk's metric from the pixels"}); err != nil {
			return nil, err
		}
	}
	return dirs, nil
}

// WeightlessColorfulness is the model directory BuildModels writes, beside
// the scorers' own, for the weightless colorfulness plugin.
const WeightlessColorfulness = "colorfulness"

// designedDoc is the doc string of every designed ONNX file.
const designedDoc = "srbench demo model designed for the synthetic world (harness/demo): fixed image measurements " +
	"(subject colour and shape, saturation, contrast, centring, artefacts) and prompt word vectors; not a trained network"

func writeDesigned(dir, scorer string, d *design, clipTable, bertTable tokenTable) error {
	mo := graph.ModelOptions{DocString: designedDoc, Metadata: []graph.KeyValue{{Key: "srbench.demo.embedding", Value: fmt.Sprint(EmbeddingDims())}}}
	switch scorer {
	case ScorerImageReward:
		g, err := imageRewardGraph(d, bertTable)
		if err != nil {
			return err
		}
		mo.Metadata = nil
		return g.WriteFile(filepath.Join(dir, blipmodel.ModelFile), mo)
	case ScorerPickScore:
		_, _, combined, err := clipGraphs(d, clipTable, pickQuality, pickLogitScale)
		if err != nil {
			return err
		}
		return combined.WriteFile(filepath.Join(dir, clipmodel.ModelFile), mo)
	}
	text, vision, _, err := clipGraphs(d, clipTable, 0, pickLogitScale)
	if err != nil {
		return err
	}
	if err := text.WriteFile(filepath.Join(dir, clipmodel.TextModelFile), mo); err != nil {
		return err
	}
	return vision.WriteFile(filepath.Join(dir, clipmodel.VisionModelFile), mo)
}

// writeBase writes the real-sized random-weight model of a scorer.
func writeBase(dir, scorer string, seed uint64) error {
	const external = 1 << 20
	if scorer == ScorerImageReward {
		c := blipmodel.BaseB16()
		c.Seed = seed
		w, err := blipmodel.NewWeights(c)
		if err != nil {
			return err
		}
		_, err = w.WriteDir(dir, blipmodel.WriteOptions{ExternalDataThreshold: external})
		return err
	}
	c := clipmodel.BaseB32()
	c.Seed = seed
	w, err := clipmodel.NewWeights(c)
	if err != nil {
		return err
	}
	files := clipmodel.WriteOptions{Text: true, Vision: true, ExternalDataThreshold: external}
	if scorer == ScorerPickScore {
		files = clipmodel.WriteOptions{Combined: true, ExternalDataThreshold: external} // the logit scale lives in the combined graph
	}
	_, err = w.WriteDir(dir, files)
	return err
}
