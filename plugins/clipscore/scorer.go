package main

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/srbench/srbench/harness/dualenc"
	"github.com/srbench/srbench/harness/scorer"
)

// Version is the plugin's version.
const Version = "0.2.0"

// variant is one of the scores that go by the name "CLIPScore".
type variant struct {
	prefix  string
	formula string
	score   func(cos float64) float64
}

// variants: Hessel et al.'s CLIPScore (the default), torchmetrics' CLIPScore
// (per-sample 100*cos, no prefix) and the raw cosine (T2I-CompBench,
// ImageReward's CLIP baseline).
var variants = map[string]variant{
	"hessel": {prefix: "A photo depicts ", formula: `2.5 * max(cos(text, image), 0), text = "A photo depicts " + prompt`,
		score: func(c float64) float64 { return 2.5 * math.Max(c, 0) }},
	"torchmetrics": {formula: "100 * cos(text, image)",
		score: func(c float64) float64 { return 100 * c }},
	"cosine": {formula: "cos(text, image)",
		score: func(c float64) float64 { return c }},
}

// DefaultVariant is Hessel et al.'s CLIPScore.
const DefaultVariant = "hessel"

// ClipScore scores with a CLIP dual encoder.
type ClipScore struct {
	enc     *dualenc.Encoder
	name    string
	variant variant
}

// New loads the model directory and picks the variant: the "variant"
// option, else srbench.yaml's variant, else hessel.
func New(_ context.Context, cfg scorer.Config) (scorer.Scorer, error) {
	if err := cfg.CheckOptions("variant"); err != nil {
		return nil, err
	}
	enc, err := dualenc.Open(cfg, dualenc.Spec{Kind: "clipscore", DefaultPipeline: "openai"})
	if err != nil {
		return nil, err
	}
	name := cfg.Options["variant"]
	if name == "" {
		name = enc.Dir.Manifest.Variant
	}
	if name == "" {
		name = DefaultVariant
	}
	v, ok := variants[name]
	if !ok {
		enc.Close()
		return nil, fmt.Errorf("clipscore: unknown variant %q (known: %s)", name, strings.Join(variantNames(), ", "))
	}
	return &ClipScore{enc: enc, name: name, variant: v}, nil
}

func variantNames() []string {
	var n []string
	for k := range variants {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Close releases the model.
func (c *ClipScore) Close() error { return c.enc.Close() }

// Describe implements scorer.Scorer.
func (c *ClipScore) Describe(ctx context.Context, _ scorer.DescribeRequest) (scorer.Description, error) {
	d := scorer.Description{Name: "clipscore", Version: Version, Kind: "clipscore", Variant: c.name, Formula: c.variant.formula}
	c.enc.Describe(&d)
	return d, nil
}

// Score implements scorer.Scorer.
func (c *ClipScore) Score(ctx context.Context, req scorer.ScoreRequest) (scorer.ScoreResponse, error) {
	res, err := c.score(ctx, req.Items)
	return scorer.ScoreResponse{Results: res}, err
}

// Score implements scorer.Scorer.
func (c *ClipScore) score(ctx context.Context, items []scorer.Item) ([]scorer.Result, error) {
	emb, err := c.enc.Embed(ctx, items, c.variant.prefix)
	if err != nil {
		return nil, err
	}
	out := make([]scorer.Result, len(items))
	for i := range items {
		if emb.Err[i] != "" {
			out[i].Err = emb.Err[i]
			continue
		}
		out[i].Score = c.variant.score(dualenc.Cosine(emb.Text[i], emb.Image[i]))
	}
	return out, nil
}
