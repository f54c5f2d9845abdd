// Command lengthscorer is the "length" scorer of the contract's package
// documentation (harness/scorer), built as a plugin: it gives an item the
// length of its prompt, so both images of a pair always tie. Tests run it
// to check that such a scorer is caught (tie warnings, accuracy under each
// tie rule), never reported as accurate.
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

func (s *lengthScorer) Describe(ctx context.Context) (scorer.Description, error) {
	return scorer.Description{Name: "length", Version: "0.1.0", Kind: "length",
		Formula: "len(prompt)"}, nil
}

func (s *lengthScorer) Score(ctx context.Context, items []scorer.Item) ([]scorer.Result, error) {
	out := make([]scorer.Result, len(items))
	for i, it := range items {
		out[i] = scorer.Result{Score: float64(len(it.Prompt))}
	}
	return out, nil
}

func main() { scorer.Serve(newLengthScorer) }
