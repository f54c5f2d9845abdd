package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReliabilityHand(t *testing.T) {
	t.Parallel()
	// k = 10: 0.05 → bin 0; 0.15 and 0.1 → bin 1; 0.95 and 1.0 → bin 9.
	// ECE = (1·|.05-0| + 2·|.125-.5| + 2·|.975-1|)/5 = .85/5.
	prob := []float64{0.05, 0.15, 0.95, 1.0, 0.1}
	obs := []float64{0, 1, 1, 1, 0}
	got, err := Reliability(prob, obs, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := Calibration{
		Bins: []ReliabilityBin{
			{Lo: 0, Hi: 0.1, MeanPred: 0.05, Observed: 0, Weight: 1, Count: 1},
			{Lo: 0.1, Hi: 0.2, MeanPred: 0.125, Observed: 0.5, Weight: 2, Count: 2},
			{Lo: 0.9, Hi: 1, MeanPred: 0.975, Observed: 1, Weight: 2, Count: 2},
		},
		ECE: 0.17,
	}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool { return near(a, b, 1e-15, 0) })); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, bad := range []struct{ p, o []float64 }{
		{[]float64{1.5}, []float64{1}}, {[]float64{0.5}, []float64{2}}, {[]float64{math.NaN()}, []float64{1}}, {[]float64{0.5}, nil},
	} {
		if _, err := Reliability(bad.p, bad.o, nil, 10); err == nil {
			t.Errorf("Reliability(%v, %v): no error", bad.p, bad.o)
		}
	}
	if _, err := Reliability(prob, obs, nil, 0); err == nil {
		t.Error("0 bins: no error")
	}
}

func TestPairReliabilitySoftmax(t *testing.T) {
	t.Parallel()
	// Three pairs, tie skipped; softmax probabilities σ(1), σ(0), σ(-1).
	ps := []Pair{
		{Label: LabelA, ScoreA: 1, ScoreB: 0},
		{Label: LabelB, ScoreA: 0, ScoreB: 0, Weight: 2},
		{Label: LabelTie, ScoreA: 5, ScoreB: 0},
		{Label: LabelB, ScoreA: 0, ScoreB: 1},
	}
	got, err := PairReliability(ps, SoftmaxProb, 1)
	if err != nil {
		t.Fatal(err)
	}
	s1 := 1 / (1 + math.Exp(-1))
	// one bin: mean pred (s1 + 2·.5 + (1-s1))/4 = .5, observed 1/4.
	if len(got.Bins) != 1 || got.Bins[0].Count != 3 || got.Bins[0].Weight != 4 ||
		!near(got.Bins[0].MeanPred, (s1+1+1-s1)/4, 1e-15, 0) || got.Bins[0].Observed != 0.25 || !near(got.ECE, 0.25, 1e-15, 0) {
		t.Errorf("PairReliability = %+v", got)
	}
}

func TestSigmoid(t *testing.T) {
	t.Parallel()
	for _, x := range []float64{-800, -30, -1, 0, 1, 30, 800} {
		want := 1 / (1 + math.Exp(-x))
		if got := Sigmoid(x); !near(got, want, 1e-300, 1e-15) {
			t.Errorf("Sigmoid(%v) = %v, want %v", x, got, want)
		}
	}
}

func TestFitLogisticScoreEquations(t *testing.T) {
	t.Parallel()
	// At the MLE the score equations hold, and the standard errors are the
	// inverse of the negative Hessian of the log-likelihood, which we check
	// by central finite differences of the log-likelihood.
	rng := rand.New(rand.NewPCG(7, 8))
	n := 500
	x := make([]float64, n)
	y := make([]float64, n)
	w := make([]float64, n)
	for i := range x {
		x[i] = 2 * rng.NormFloat64()
		if rng.Float64() < Sigmoid(-0.4+0.9*x[i]) {
			y[i] = 1
		}
		w[i] = float64(1 + rng.IntN(3))
	}
	fit, err := FitLogistic(x, y, w)
	if err != nil {
		t.Fatal(err)
	}
	ll := func(b0, b1 float64) float64 {
		var s float64
		for i := range x {
			p := Sigmoid(b0 + b1*x[i])
			s += w[i] * (y[i]*math.Log(p) + (1-y[i])*math.Log(1-p))
		}
		return s
	}
	var g0, g1 float64
	for i := range x {
		r := w[i] * (y[i] - fit.Prob(x[i]))
		g0 += r
		g1 += r * x[i]
	}
	if math.Abs(g0) > 1e-9 || math.Abs(g1) > 1e-9 {
		t.Errorf("score equations at the fit: %g, %g", g0, g1)
	}
	if !near(fit.LogLik, ll(fit.Intercept, fit.Slope), 1e-9, 0) {
		t.Errorf("LogLik %v, direct %v", fit.LogLik, ll(fit.Intercept, fit.Slope))
	}
	h := 1e-4
	b0, b1 := fit.Intercept, fit.Slope
	h00 := (ll(b0+h, b1) - 2*ll(b0, b1) + ll(b0-h, b1)) / (h * h)
	h11 := (ll(b0, b1+h) - 2*ll(b0, b1) + ll(b0, b1-h)) / (h * h)
	h01 := (ll(b0+h, b1+h) - ll(b0+h, b1-h) - ll(b0-h, b1+h) + ll(b0-h, b1-h)) / (4 * h * h)
	det := h00*h11 - h01*h01
	se0 := math.Sqrt(-h11 / det)
	se1 := math.Sqrt(-h00 / det)
	if !near(fit.SEIntercept, se0, 0, 1e-4) || !near(fit.SESlope, se1, 0, 1e-4) {
		t.Errorf("SE (%v, %v), finite differences (%v, %v)", fit.SEIntercept, fit.SESlope, se0, se1)
	}
	// The generating model is recovered within 4 standard errors.
	if math.Abs(fit.Intercept+0.4) > 4*fit.SEIntercept || math.Abs(fit.Slope-0.9) > 4*fit.SESlope {
		t.Errorf("fit (%v ± %v, %v ± %v), generated with (-0.4, 0.9)", fit.Intercept, fit.SEIntercept, fit.Slope, fit.SESlope)
	}
}

func TestFitLogisticErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		x, y, w []float64
		sep     bool
	}{
		{"separated", []float64{-2, -1, 1, 2}, []float64{0, 0, 1, 1}, nil, true},
		{"quasi-separated", []float64{-2, 0, 0, 2}, []float64{0, 0, 1, 1}, nil, true},
		{"one-class", []float64{-2, 0, 1}, []float64{1, 1, 1}, nil, true},
		{"separated-after-weights", []float64{-2, -1, 1, 2}, []float64{0, 1, 1, 0}, []float64{1, 0, 1, 0}, true},
		{"bad-y", []float64{1, 2}, []float64{0, 0.5}, nil, false},
		{"nan-x", []float64{math.NaN(), 2}, []float64{0, 1}, nil, false},
		{"length", []float64{1, 2}, []float64{0}, nil, false},
		{"negative-w", []float64{1, 2}, []float64{0, 1}, []float64{1, -1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FitLogistic(tc.x, tc.y, tc.w)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrSeparation) != tc.sep {
				t.Errorf("error %v: separation %v, want %v", err, errors.Is(err, ErrSeparation), tc.sep)
			}
		})
	}
}

func TestAccuracyByStrengthHand(t *testing.T) {
	t.Parallel()
	// Strengths 1, 2, 2, 3, 4, NaN; k = 2: edge = x_(ceil(5·1/2)) = x_(3) = 2.
	// Bin 0 (s <= 2): pairs 1-3; bin 1: pairs 4-5; pair 6 left out.
	ps := []Pair{
		{Label: LabelA, ScoreA: 1, Strength: 1},
		{Label: LabelA, ScoreB: 1, Strength: 2},
		{Label: LabelB, ScoreB: 1, Strength: 2},
		{Label: LabelA, ScoreA: 1, Strength: 3},
		{Label: LabelB, ScoreB: 1, Strength: 4},
		{Label: LabelA, ScoreA: 1, Strength: math.NaN()},
	}
	got, err := AccuracyByStrength(ps, Policy{}, 2, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d bins, want 2", len(got))
	}
	w0, _ := Wilson(2, 3, 0.95)
	w1, _ := Wilson(2, 2, 0.95)
	type bin struct {
		Lo, Hi, Acc float64
		Pairs       int
		Wilson      Interval
	}
	want := []bin{{1, 2, 2.0 / 3, 3, w0}, {3, 4, 1, 2, w1}}
	var have []bin
	for _, b := range got {
		have = append(have, bin{b.Lo, b.Hi, b.Result.Accuracy, b.Result.Pairs, b.Wilson})
	}
	if d := cmp.Diff(want, have); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	noStrength := []Pair{{Label: LabelA, Strength: math.NaN()}}
	if _, err := AccuracyByStrength(noStrength, Policy{}, 2, 0.95); !errors.Is(err, ErrNoPairs) {
		t.Errorf("no strength: %v", err)
	}
}
