package stats

import (
	"errors"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat"
)

func TestKendallTauBHand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		x, y []float64
		want float64
	}{
		// (1,2) concordant, (1,3) concordant, (2,3) discordant: 1/3.
		{"three", []float64{1, 2, 3}, []float64{1, 3, 2}, 1.0 / 3},
		// x ties (1,2); pairs: (1,2) x-tie, (1,3) c, (1,4) c, (2,3) c,
		// (2,4) c, (3,4) d → (4-1)/sqrt(5·6).
		{"x-tie", []float64{1, 1, 2, 3}, []float64{1, 2, 4, 3}, 3 / 5.477225575051661},
		{"perfect", []float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := KendallTauB(tc.x, tc.y)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got.Tau, tc.want, 1e-15, 0) {
				t.Errorf("tau = %.16g, want %.16g", got.Tau, tc.want)
			}
		})
	}
}

func TestKendallMatchesGonumWithoutTies(t *testing.T) {
	t.Parallel()
	// Without ties tau-b equals tau-a, which gonum's stat.Kendall computes
	// (O(n²)); with ties they differ, which is why KendallTauB exists.
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 500)
	y := make([]float64, 500)
	for i := range x {
		x[i] = rng.NormFloat64()
		y[i] = 0.4*x[i] + rng.NormFloat64()
	}
	got, err := KendallTauB(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if want := stat.Kendall(x, y, nil); !near(got.Tau, want, 1e-12, 0) {
		t.Errorf("tau-b %.15g, gonum tau-a %.15g", got.Tau, want)
	}
}

func TestCountInversions(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 3, 7, 64, 257} {
		s := make([]float64, n)
		for i := range s {
			s[i] = float64(rng.IntN(10)) // many ties
		}
		var want int64
		for i := range n {
			for j := i + 1; j < n; j++ {
				if s[i] > s[j] {
					want++
				}
			}
		}
		if got := countInversions(s, make([]float64, n)); got != want {
			t.Errorf("n=%d: %d inversions, brute force %d", n, got, want)
		}
		for i := 1; i < n; i++ {
			if s[i-1] > s[i] {
				t.Fatalf("n=%d: not sorted after countInversions", n)
			}
		}
	}
}

func TestKendallErrors(t *testing.T) {
	t.Parallel()
	if _, err := KendallTauB([]float64{1, 1, 1}, []float64{1, 2, 3}); !errors.Is(err, ErrUndefined) {
		t.Errorf("constant x: %v", err)
	}
	if _, err := KendallTauB([]float64{1, 2, 3}, []float64{4, 4, 4}); !errors.Is(err, ErrUndefined) {
		t.Errorf("constant y: %v", err)
	}
	if _, err := KendallTauB([]float64{1, 2}, []float64{1, 2}); err == nil {
		t.Error("n=2: no error")
	}
	if _, err := KendallTauB([]float64{1, 2, 3}, []float64{1, 2}); err == nil {
		t.Error("length mismatch: no error")
	}
}

func TestAgreementHand(t *testing.T) {
	t.Parallel()
	// Differences a: +1, 0, -1, +2, 0, +1; b (below): +2, +1, -1, -1, 0, +3.
	a := smallTable()
	b := smallTable()
	b[0].ScoreA = 3 // +2
	b[1].ScoreA = 2 // +1
	b[3].ScoreA = 0 // -1
	b[5].ScoreA = 4 // +3
	got, err := Agreement(a, b)
	if err != nil {
		t.Fatal(err)
	}
	// Same strict preference: pairs 1, 3, 6; a tie in either: 2, 5.
	if got.Same != 3 || got.EitherTie != 2 || got.N != 6 || got.SameShare != 0.5 {
		t.Errorf("agreement = %+v", got)
	}
}
