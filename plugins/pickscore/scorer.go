package main

import (
	"context"
	"fmt"
	"math"

	"github.com/srbench/srbench/harness/dualenc"
	"github.com/srbench/srbench/harness/scorer"
)

// Version is the plugin's version.
const Version = "0.1.0"

// PickScore is exp(logit_scale) * cos(text, image) with a CLIP model
// fine-tuned on Pick-a-Pic, the processor of laion/CLIP-ViT-H-14 (Hugging
// Face conventions: CLIPImageProcessor, tokenizer.json padded to 77).
type PickScore struct {
	enc   *dualenc.Encoder
	scale float64 // exp(logit_scale)
	src   string
}

// New loads the model directory. The logit scale is srbench.yaml's
// constants.logit_scale (the model parameter, in log space, as in
// model.logit_scale.exp()), else it is read from a combined model.onnx.
func New(_ context.Context, cfg scorer.Config) (scorer.Scorer, error) {
	if err := cfg.CheckOptions(); err != nil {
		return nil, err
	}
	enc, err := dualenc.Open(cfg, dualenc.Spec{Kind: "pickscore", DefaultPipeline: "hf"})
	if err != nil {
		return nil, err
	}
	p := &PickScore{enc: enc}
	if ls, ok := enc.Dir.Manifest.Constants["logit_scale"]; ok {
		p.scale, p.src = math.Exp(ls), "srbench.yaml constants.logit_scale"
	} else {
		s, err := enc.LogitScaleFromModel()
		if err != nil {
			enc.Close()
			return nil, fmt.Errorf("pickscore: logit scale: set constants.logit_scale in srbench.yaml or provide a combined model.onnx: %w", err)
		}
		p.scale, p.src = s, "read from model.onnx (logits_per_image / cos)"
	}
	if !(p.scale > 0) || math.IsInf(p.scale, 0) {
		enc.Close()
		return nil, fmt.Errorf("pickscore: logit scale exp(logit_scale) = %v, want a positive finite number", p.scale)
	}
	return p, nil
}

// Close releases the model.
func (p *PickScore) Close() error { return p.enc.Close() }

// Describe implements scorer.Scorer.
func (p *PickScore) Describe(ctx context.Context, _ scorer.DescribeRequest) (scorer.Description, error) {
	d := scorer.Description{Name: "pickscore", Version: Version, Kind: "pickscore", Variant: "pickscore_v1",
		Formula: fmt.Sprintf("exp(logit_scale) * cos(text, image), exp(logit_scale) = %.6g (%s)", p.scale, p.src)}
	p.enc.Describe(&d)
	d.Details["logit_scale_exp"] = fmt.Sprintf("%.9g", p.scale)
	return d, nil
}

// Score implements scorer.Scorer.
func (p *PickScore) Score(ctx context.Context, req scorer.ScoreRequest) (scorer.ScoreResponse, error) {
	res, err := p.score(ctx, req.Items)
	return scorer.ScoreResponse{Results: res}, err
}

// Score implements scorer.Scorer.
func (p *PickScore) score(ctx context.Context, items []scorer.Item) ([]scorer.Result, error) {
	emb, err := p.enc.Embed(ctx, items, "")
	if err != nil {
		return nil, err
	}
	out := make([]scorer.Result, len(items))
	for i := range items {
		if emb.Err[i] != "" {
			out[i].Err = emb.Err[i]
			continue
		}
		out[i].Score = p.scale * dualenc.Cosine(emb.Text[i], emb.Image[i])
	}
	return out, nil
}
