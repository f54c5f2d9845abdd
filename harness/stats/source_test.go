package stats

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// spills are external-sort settings that force many runs on the small
// fixtures: a run of one record, a few records, and the in-memory default.
var spills = []Spill{{RunLen: 1}, {RunLen: 3}, {RunLen: 16}, {}}

func spillName(sp Spill) string { return fmt.Sprintf("run=%d", sp.RunLen) }

// The statistics that sort every pair give the SciPy / brute-force fixture
// values however the sort is split into runs on disk.
func TestSpilledSortsMatchFixtures(t *testing.T) {
	t.Parallel()
	f := fix(t)
	for _, sp := range spills {
		sp.Dir = t.TempDir()
		t.Run(spillName(sp), func(t *testing.T) {
			for _, c := range f.Kendall {
				got, err := KendallTauBOf(xySlices(c.X, c.Y), sp)
				if err != nil {
					t.Fatalf("kendall %s: %v", c.Name, err)
				}
				if !near(got.Tau, c.Tau, 1e-12, 0) || !near(got.P, c.P, 1e-300, 1e-9) {
					t.Errorf("kendall %s: tau %.15g p %.15g, scipy %.15g %.15g", c.Name, got.Tau, got.P, c.Tau, c.P)
				}
			}
			for _, c := range f.Tiecal {
				avg := Micro
				if c.Macro {
					avg = Macro
				}
				got, err := TieCalibrateOf(Slice(fixturePairs(t, false, c.Weighted)), avg, sp)
				if err != nil {
					t.Fatal(err)
				}
				if got.Epsilon != c.Epsilon || !near(got.Result.Accuracy, c.Accuracy, 1e-12, 0) {
					t.Errorf("tie calibration %v weighted=%v: eps %.17g acc %.15g, brute force %.17g %.15g",
						avg, c.Weighted, got.Epsilon, got.Result.Accuracy, c.Epsilon, c.Accuracy)
				}
			}
			ag, err := AgreementOf(PairedSlices(fixturePairs(t, false, false), fixturePairs(t, true, false)), sp)
			if err != nil {
				t.Fatal(err)
			}
			if k := f.Kendall[0]; !near(ag.Kendall.Tau, k.Tau, 1e-12, 0) || ag.Same != f.Agreement.Same {
				t.Errorf("agreement: tau %.15g same %d, want %.15g %d", ag.Kendall.Tau, ag.Same, k.Tau, f.Agreement.Same)
			}
			pol, _ := ParsePolicy("imagereward")
			bins, err := AccuracyByStrengthOf(Slice(fixturePairs(t, false, false)), pol, f.Strength.BinsK, 0.95, sp)
			if err != nil {
				t.Fatal(err)
			}
			if len(bins) != len(f.Strength.Bins) {
				t.Fatalf("%d strength bins, reference %d", len(bins), len(f.Strength.Bins))
			}
			for i, w := range f.Strength.Bins {
				if g := bins[i]; g.Lo != w.Lo || g.Hi != w.Hi || g.Result.Pairs != w.Pairs || !near(g.Result.Accuracy, w.Accuracy, 1e-12, 0) {
					t.Errorf("strength bin %d: [%v, %v] %d pairs acc %.12f; reference %+v", i, g.Lo, g.Hi, g.Result.Pairs, g.Result.Accuracy, w)
				}
			}
		})
	}
}

func xySlices(x, y []float64) XYSource {
	return func(visit func(x, y float64) error) error {
		for i := range x {
			if err := visit(x[i], y[i]); err != nil {
				return err
			}
		}
		return nil
	}
}

// bruteKendall is tau-b from its definition, O(n²): concordant minus
// discordant pairs over the geometric mean of the pairs untied in x and in y.
func bruteKendall(x, y []float64) float64 {
	var s float64
	var nx, ny int
	for i := range x {
		for j := i + 1; j < len(x); j++ {
			dx, dy := x[i]-x[j], y[i]-y[j]
			s += sign(dx) * sign(dy)
			if dx != 0 {
				nx++
			}
			if dy != 0 {
				ny++
			}
		}
	}
	return s / math.Sqrt(float64(nx)) / math.Sqrt(float64(ny))
}

func sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// Heavily tied data split into many runs: ties across run boundaries are
// where an external inversion count goes wrong.
func TestKendallSpilledTies(t *testing.T) {
	t.Parallel()
	for _, n := range []int{3, 10, 57, 300} {
		for _, levels := range []int{2, 5, 1000} {
			rng := rand.New(rand.NewPCG(uint64(n), uint64(levels)))
			x, y := make([]float64, n), make([]float64, n)
			for i := range x {
				x[i] = float64(rng.IntN(levels))
				y[i] = float64(rng.IntN(levels)) + 0.5*x[i]
			}
			want := bruteKendall(x, y)
			for _, sp := range spills {
				t.Run(fmt.Sprintf("n=%d/levels=%d/%s", n, levels, spillName(sp)), func(t *testing.T) {
					sp.Dir = t.TempDir()
					got, err := KendallTauBOf(xySlices(x, y), sp)
					if err != nil {
						t.Fatal(err)
					}
					if !near(got.Tau, want, 1e-12, 0) {
						t.Errorf("tau = %.15g, brute force %.15g", got.Tau, want)
					}
				})
			}
		}
	}
}

// A Source's read error stops every statistic and comes back wrapped.
func TestSourceErrorPropagates(t *testing.T) {
	t.Parallel()
	errRead := errors.New("disk on fire")
	ps := fixturePairs(t, false, false)
	failing := func(visit func(Pair) error) error {
		for i, p := range ps {
			if i == len(ps)/2 {
				return errRead
			}
			if err := visit(p); err != nil {
				return err
			}
		}
		return nil
	}
	paired := func(visit func(a, b Pair) error) error {
		return failing(func(p Pair) error { return visit(p, p) })
	}
	pol, _ := ParsePolicy("socialreward")
	cases := []struct {
		name string
		run  func() error
	}{
		{"accuracy", func() error { _, err := AccuracyOf(failing, pol); return err }},
		{"bootstrap", func() error { _, err := BootstrapOf(failing, pol, BootstrapOptions{B: 10}); return err }},
		{"paired bootstrap", func() error { _, err := PairedBootstrapOf(paired, pol, BootstrapOptions{B: 10}); return err }},
		{"mcnemar", func() error { _, err := McNemarOf(paired, pol); return err }},
		{"agreement", func() error { _, err := AgreementOf(paired, Spill{RunLen: 2}); return err }},
		{"tie calibration", func() error { _, err := TieCalibrateOf(failing, Micro, Spill{RunLen: 2}); return err }},
		{"logistic", func() error { _, err := FitPairLogisticOf(failing); return err }},
		{"reliability", func() error { _, err := PairReliabilityOf(failing, SoftmaxProb, 10); return err }},
		{"strength", func() error { _, err := AccuracyByStrengthOf(failing, pol, 4, 0.95, Spill{}); return err }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.run(); !errors.Is(err, errRead) {
				t.Errorf("error %v, want it to wrap %v", err, errRead)
			}
		})
	}
}
