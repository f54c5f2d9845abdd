// Command lengthscorer is a deliberately useless plugin: it gives an item
// the length of its prompt, so both images of a pair always tie. Tests run
// it to check that such a scorer is caught (tie warnings, accuracy under
// each tie rule), never reported as accurate.
package main

import (
	"context"

	"github.com/srbench/srbench/harness/scorer"
)

type lengthScorer struct{ dir string }

func newLengthScorer(ctx context.Context, cfg scorer.Config) (scorer.Scorer, error) {
	if err := cfg.CheckOptions(); err != nil { // reject options you don't know
		return nil, err
	}
	return &lengthScorer{dir: cfg.ModelDir}, nil
}

func (s *lengthScorer) Describe(ctx context.Context, _ scorer.DescribeRequest) (scorer.Description, error) {
	return scorer.Description{Name: "length", Version: "0.1.0", Kind: "length",
		Formula: "len(prompt)"}, nil
}

func (s *lengthScorer) Score(ctx context.Context, req scorer.ScoreRequest) (scorer.ScoreResponse, error) {
	out := make([]scorer.Result, len(req.Items))
	for i, it := range req.Items {
		out[i] = scorer.Result{Score: float64(len(it.Prompt))}
	}
	return scorer.ScoreResponse{Results: out}, nil
}

func main() { scorer.Serve(newLengthScorer) }
