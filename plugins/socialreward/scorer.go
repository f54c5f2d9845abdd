package main

import (
	"context"

	"github.com/srbench/srbench/harness/dualenc"
	"github.com/srbench/srbench/harness/scorer"
)

// Version is the plugin's version.
const Version = "0.1.0"

// SocialReward scores cos(text, image) with a CLIP model (OpenAI ViT-L/14 in
// the paper) and OpenAI's preprocessing and tokenizer; no logit scale, as in
// the official validate.py.
type SocialReward struct {
	enc *dualenc.Encoder
}

// New loads the model directory.
func New(_ context.Context, cfg scorer.Config) (scorer.Scorer, error) {
	if err := cfg.CheckOptions(); err != nil {
		return nil, err
	}
	enc, err := dualenc.Open(cfg, dualenc.Spec{Kind: "socialreward", DefaultPipeline: "openai"})
	if err != nil {
		return nil, err
	}
	return &SocialReward{enc: enc}, nil
}

// Close releases the model.
func (s *SocialReward) Close() error { return s.enc.Close() }

// Describe implements scorer.Scorer.
func (s *SocialReward) Describe(context.Context) (scorer.Description, error) {
	d := scorer.Description{Name: "socialreward", Version: Version, Kind: "socialreward", Variant: "cosine",
		Formula: "cos(text, image)"}
	s.enc.Describe(&d)
	return d, nil
}

// Score implements scorer.Scorer.
func (s *SocialReward) Score(ctx context.Context, items []scorer.Item) ([]scorer.Result, error) {
	emb, err := s.enc.Embed(ctx, items, "")
	if err != nil {
		return nil, err
	}
	out := make([]scorer.Result, len(items))
	for i := range items {
		if emb.Err[i] != "" {
			out[i].Err = emb.Err[i]
			continue
		}
		out[i].Score = dualenc.Cosine(emb.Text[i], emb.Image[i])
	}
	return out, nil
}
