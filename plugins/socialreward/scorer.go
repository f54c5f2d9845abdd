package main

import (
	"context"
	"fmt"

	"github.com/srbench/srbench/harness/dualenc"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/harness/train"
)

// Version is the plugin's version.
const Version = "0.2.0"

// SocialReward scores cos(text, image) with a CLIP model (OpenAI ViT-L/14 in
// the paper) and OpenAI's preprocessing and tokenizer; no logit scale, as in
// the official validate.py. When the model directory holds trained adapters
// (adapters.safetensors, written by Train), the cosine is taken between the
// adapted embeddings: the same scoring path as in training.
type SocialReward struct {
	enc      *dualenc.Encoder
	adapters *train.Model
	meta     map[string]string
}

// New loads the model directory and its adapters, if any.
func New(_ context.Context, cfg scorer.Config) (scorer.Scorer, error) {
	if err := cfg.CheckOptions(); err != nil {
		return nil, err
	}
	enc, err := dualenc.Open(cfg, dualenc.Spec{Kind: "socialreward", DefaultPipeline: "openai"})
	if err != nil {
		return nil, err
	}
	s := &SocialReward{enc: enc}
	if enc.Dir.Has(AdaptersFile) {
		m, meta, err := train.LoadCheckpoint(enc.Dir.File(AdaptersFile))
		if err != nil {
			enc.Close()
			return nil, err
		}
		s.adapters, s.meta = m, meta
	}
	return s, nil
}

// Close releases the model.
func (s *SocialReward) Close() error { return s.enc.Close() }

// Describe implements scorer.Scorer.
func (s *SocialReward) Describe(ctx context.Context, _ scorer.DescribeRequest) (scorer.Description, error) {
	d := scorer.Description{Name: "socialreward", Version: Version, Kind: "socialreward", Variant: "cosine",
		Formula: "cos(text, image)", Capabilities: []string{scorer.CapabilityScore, scorer.CapabilityTrain}}
	s.enc.Describe(&d)
	if s.adapters != nil {
		d.Variant = "adapters"
		d.Formula = "cos(A_text(text), A_image(image)) with trained adapters (" + AdaptersFile + ")"
		if fp := s.meta["backbone_fingerprint"]; fp != "" {
			d.Details["backbone_fingerprint"] = fp
		}
	}
	return d, nil
}

// Score implements scorer.Scorer.
func (s *SocialReward) Score(ctx context.Context, req scorer.ScoreRequest) (scorer.ScoreResponse, error) {
	res, err := s.score(ctx, req.Items)
	return scorer.ScoreResponse{Results: res}, err
}

// Score implements scorer.Scorer.
func (s *SocialReward) score(ctx context.Context, items []scorer.Item) ([]scorer.Result, error) {
	emb, err := s.enc.Embed(ctx, items, "")
	if err != nil {
		return nil, err
	}
	if s.adapters != nil && len(items) > 0 {
		for i := range items {
			if emb.Err[i] == "" {
				if err := s.adapters.CheckDims(len(emb.Text[i]), len(emb.Image[i])); err != nil {
					return nil, fmt.Errorf("adapters do not fit this backbone: %w", err)
				}
				break
			}
		}
	}
	out := make([]scorer.Result, len(items))
	for i := range items {
		switch {
		case emb.Err[i] != "":
			out[i].Err = emb.Err[i]
		case s.adapters != nil:
			out[i].Score = s.adapters.Score(emb.Text[i], emb.Image[i])
		default:
			out[i].Score = dualenc.Cosine(emb.Text[i], emb.Image[i])
		}
	}
	return out, nil
}
