package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// benchPairs makes n pairs in prompts of perPrompt pairs with 10% label
// ties and scores rounded to 0.01 (so prediction ties occur).
func benchPairs(n, perPrompt int, seed uint64) []Pair {
	rng := rand.New(rand.NewPCG(seed, 0))
	ps := make([]Pair, n)
	for i := range ps {
		l := LabelA
		switch u := rng.Float64(); {
		case u < 0.1:
			l = LabelTie
		case u < 0.55:
			l = LabelB
		}
		ps[i] = Pair{
			PromptID: fmt.Sprintf("prompt-%06d", i/perPrompt),
			Label:    l,
			ScoreA:   math.Round(rng.NormFloat64()*100) / 100,
			ScoreB:   math.Round(rng.NormFloat64()*100) / 100,
			Strength: math.NaN(),
		}
	}
	return ps
}

func BenchmarkAccuracy100k(b *testing.B) {
	ps := benchPairs(100_000, 20, 1)
	pol, _ := ParsePolicy("pickscore")
	for b.Loop() {
		if _, err := Accuracy(ps, pol); err != nil {
			b.Fatal(err)
		}
	}
}

// Accuracy plus a B = 1000 cluster bootstrap on 100k pairs in 5000 prompts.
func BenchmarkBootstrap100k(b *testing.B) {
	ps := benchPairs(100_000, 20, 1)
	for _, avg := range []Averaging{Micro, Macro} {
		b.Run(avg.String(), func(b *testing.B) {
			pol := Policy{Averaging: avg}
			for b.Loop() {
				if _, err := Bootstrap(ps, pol, BootstrapOptions{B: 1000, Seed: 1}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The worst case for the bootstrap: every pair its own prompt (100k
// clusters per resample).
func BenchmarkBootstrap100kOnePairPerPrompt(b *testing.B) {
	ps := benchPairs(100_000, 1, 1)
	for b.Loop() {
		if _, err := Bootstrap(ps, Policy{}, BootstrapOptions{B: 1000, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPairedBootstrap100k(b *testing.B) {
	a := benchPairs(100_000, 20, 1)
	c := benchPairs(100_000, 20, 2)
	for i := range c {
		c[i].Label = a[i].Label
	}
	for b.Loop() {
		if _, err := PairedBootstrap(a, c, Policy{}, BootstrapOptions{B: 1000, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTieCalibrate100k(b *testing.B) {
	ps := benchPairs(100_000, 20, 1)
	for b.Loop() {
		if _, err := TieCalibrate(ps, Micro); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKendallTauB100k(b *testing.B) {
	a := benchPairs(100_000, 20, 1)
	c := benchPairs(100_000, 20, 2)
	x := make([]float64, len(a))
	y := make([]float64, len(a))
	for i := range a {
		x[i] = a[i].ScoreA - a[i].ScoreB
		y[i] = c[i].ScoreA - c[i].ScoreB
	}
	for b.Loop() {
		if _, err := KendallTauB(x, y); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFitPairLogistic100k(b *testing.B) {
	ps := benchPairs(100_000, 20, 1)
	for b.Loop() {
		if _, err := FitPairLogistic(ps); err != nil {
			b.Fatal(err)
		}
	}
}
