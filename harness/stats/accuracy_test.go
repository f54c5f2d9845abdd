package stats

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// smallTable is a hand-made table covering every cell of the credit table.
//
//	#  prompt label  A    B    d    kind
//	1  p1     A      2    1    +1   agree
//	2  p1     A      1    1     0   predicted tie
//	3  p2     B      1    2    -1   agree
//	4  p2     B      3    1    +2   disagree
//	5  p1     tie    1    1     0   both tie
//	6  p3     tie    2    1    +1   label tie only
func smallTable() []Pair {
	return []Pair{
		{PromptID: "p1", Label: LabelA, ScoreA: 2, ScoreB: 1},
		{PromptID: "p1", Label: LabelA, ScoreA: 1, ScoreB: 1},
		{PromptID: "p2", Label: LabelB, ScoreA: 1, ScoreB: 2},
		{PromptID: "p2", Label: LabelB, ScoreA: 3, ScoreB: 1},
		{PromptID: "p1", Label: LabelTie, ScoreA: 1, ScoreB: 1},
		{PromptID: "p3", Label: LabelTie, ScoreA: 2, ScoreB: 1},
	}
}

func TestAccuracyHandTable(t *testing.T) {
	t.Parallel()
	weighted := smallTable()
	weighted[3].Weight = 3 // the disagreeing pair weighs 3
	tests := []struct {
		name  string
		pairs []Pair
		pol   Policy
		want  Result
	}{
		// credits 1, 1, 1, 0, –, –
		{"socialreward", smallTable(), Policy{PredTie: PredTieCorrect},
			Result{Accuracy: 0.75, Credit: 3, Weight: 4, EffectiveN: 4, Pairs: 4, Skipped: 2, PredictedTies: 1, Prompts: 2}},
		// credits 1, 0, 1, 0, –, –
		{"imagereward", smallTable(), Policy{},
			Result{Accuracy: 0.5, Credit: 2, Weight: 4, EffectiveN: 4, Pairs: 4, Skipped: 2, PredictedTies: 1, Prompts: 2}},
		// credits 1, .5, 1, 0, 1, .5
		{"pickscore", smallTable(), Policy{PredTie: PredTieHalf, LabelTie: LabelTieHalf},
			Result{Accuracy: 4.0 / 6, Credit: 4, Weight: 6, EffectiveN: 6, Pairs: 6, PredictedTies: 2, Prompts: 3}},
		// credits 1, 0, 1, 0, 1, 0
		{"acc23", smallTable(), Policy{LabelTie: LabelTieMatch},
			Result{Accuracy: 0.5, Credit: 3, Weight: 6, EffectiveN: 6, Pairs: 6, PredictedTies: 2, Prompts: 3}},
		// credits 1, 0, 1, 0, 1, 1
		{"label-tie-correct", smallTable(), Policy{LabelTie: LabelTieCorrect},
			Result{Accuracy: 4.0 / 6, Credit: 4, Weight: 6, EffectiveN: 6, Pairs: 6, PredictedTies: 2, Prompts: 3}},
		// macro: p1 (1, .5, 1) = 5/6, p2 (1, 0) = 1/2, p3 (.5) = 1/2
		{"pickscore-macro", smallTable(), Policy{PredTie: PredTieHalf, LabelTie: LabelTieHalf, Averaging: Macro},
			Result{Accuracy: (5.0/6 + 0.5 + 0.5) / 3, Credit: 4, Weight: 6, EffectiveN: 6, Pairs: 6, PredictedTies: 2, Prompts: 3}},
		// macro: p1 (1, 0) = 1/2, p2 (1, 0) = 1/2, p3 skipped entirely
		{"hpsv2-macro", smallTable(), Policy{Averaging: Macro},
			Result{Accuracy: 0.5, Credit: 2, Weight: 4, EffectiveN: 4, Pairs: 4, Skipped: 2, PredictedTies: 1, Prompts: 2}},
		// macro: p1 (1, 1) = 1, p2 (1, 0) = 1/2
		{"socialreward-macro", smallTable(), Policy{PredTie: PredTieCorrect, Averaging: Macro},
			Result{Accuracy: 0.75, Credit: 3, Weight: 4, EffectiveN: 4, Pairs: 4, Skipped: 2, PredictedTies: 1, Prompts: 2}},
		// weights 1, 1, 1, 3: (1+0+1+0)/6; Kish n = 36/12 = 3
		{"weighted", weighted, Policy{},
			Result{Accuracy: 2.0 / 6, Credit: 2, Weight: 6, EffectiveN: 3, Pairs: 4, Skipped: 2, PredictedTies: 1, Prompts: 2}},
		// epsilon 1.5: pairs 1, 2, 3 are predicted ties (0), pair 4 disagrees
		{"epsilon", smallTable(), Policy{Epsilon: 1.5},
			Result{Accuracy: 0, Credit: 0, Weight: 4, EffectiveN: 4, Pairs: 4, Skipped: 2, PredictedTies: 3, Prompts: 2}},
		// epsilon +Inf under pickscore: every pair a tie, A/B .5, ties 1
		{"epsilon-inf", smallTable(), Policy{PredTie: PredTieHalf, LabelTie: LabelTieHalf, Epsilon: math.Inf(1)},
			Result{Accuracy: 4.0 / 6, Credit: 4, Weight: 6, EffectiveN: 6, Pairs: 6, PredictedTies: 6, Prompts: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Accuracy(tc.pairs, tc.pol)
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Policy = tc.pol
			if d := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b float64) bool { return near(a, b, 1e-15, 0) })); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestTieCalibrateHand(t *testing.T) {
	t.Parallel()
	// smallTable plus two label ties with |d| = 0.25 (exact in binary).
	// acc_23 per threshold: eps 0: 1,0,1,0,1,0,0,0 = 3/8;
	// eps .25: 1,0,1,0,1,0,1,1 = 5/8; eps 1: 0,0,0,0,1,1,1,1 = 4/8;
	// eps 2: 4/8. Best: .25.
	ps := append(smallTable(),
		Pair{PromptID: "p4", Label: LabelTie, ScoreA: 1.25, ScoreB: 1},
		Pair{PromptID: "p4", Label: LabelTie, ScoreA: 0.5, ScoreB: 0.75},
	)
	got, err := TieCalibrate(ps, Micro)
	if err != nil {
		t.Fatal(err)
	}
	if got.Epsilon != 0.25 || got.Result.Accuracy != 5.0/8 || got.Candidates != 4 {
		t.Errorf("TieCalibrate = eps %v acc %v candidates %d, want 0.25, 0.625, 4", got.Epsilon, got.Result.Accuracy, got.Candidates)
	}
	// Macro: per prompt at eps .25: p1 (1,0,1) 2/3, p2 (1,0) 1/2,
	// p3 (0) 0, p4 (1,1) 1 → 13/24; at eps 0: 2/3, 1/2, 0, 0 → 7/24;
	// at eps 1: p1 (0,0,1) 1/3, p2 (0,0) 0, p3 1, p4 1 → 7/12 = 14/24.
	got, err = TieCalibrate(ps, Macro)
	if err != nil {
		t.Fatal(err)
	}
	if got.Epsilon != 1 || !near(got.Result.Accuracy, 14.0/24, 1e-15, 0) {
		t.Errorf("TieCalibrate macro = eps %v acc %v, want 1, %v", got.Epsilon, got.Result.Accuracy, 14.0/24)
	}
	// No ties anywhere: introducing ties only hurts, epsilon stays 0.
	strict := []Pair{
		{Label: LabelA, ScoreA: 2, ScoreB: 1},
		{Label: LabelB, ScoreA: 0, ScoreB: 3},
		{Label: LabelA, ScoreA: 0, ScoreB: 0.5},
	}
	got, err = TieCalibrate(strict, Micro)
	if err != nil {
		t.Fatal(err)
	}
	if got.Epsilon != 0 || got.Result.Accuracy != 2.0/3 {
		t.Errorf("TieCalibrate strict = eps %v acc %v, want 0, 2/3", got.Epsilon, got.Result.Accuracy)
	}
}

func TestAccuracyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		pairs []Pair
		pol   Policy
		want  string
		is    error
	}{
		{"empty", nil, Policy{}, "0 pairs", ErrNoPairs},
		{"only-label-ties", []Pair{{Label: LabelTie, ScoreA: 1, ScoreB: 2}}, Policy{}, "1 skipped", ErrNoPairs},
		{"no-label", []Pair{{PromptID: "x", ScoreA: 1}}, Policy{}, `pair 0 (prompt "x"): field "Label"`, nil},
		{"nan-score", []Pair{{Label: LabelA}, {Label: LabelA, ScoreA: math.NaN()}}, Policy{}, `pair 1 (prompt ""): field "ScoreA": NaN`, nil},
		{"inf-score", []Pair{{Label: LabelA, ScoreB: math.Inf(-1)}}, Policy{}, `field "ScoreB"`, nil},
		{"negative-weight", []Pair{{Label: LabelA, Weight: -1}}, Policy{}, `field "Weight": -1, want a finite number >= 0`, nil},
		{"negative-epsilon", []Pair{{Label: LabelA}}, Policy{Epsilon: -1}, `field "Epsilon"`, nil},
		{"nan-epsilon", []Pair{{Label: LabelA}}, Policy{Epsilon: math.NaN()}, `field "Epsilon"`, nil},
		{"bad-averaging", []Pair{{Label: LabelA}}, Policy{Averaging: 7}, `field "Averaging"`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Accuracy(tc.pairs, tc.pol)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", err, tc.is)
			}
		})
	}
}

func TestResultWilson(t *testing.T) {
	t.Parallel()
	// Unit weights: the interval of Credit out of Weight.
	r, err := Accuracy(smallTable(), Policy{PredTie: PredTieHalf, LabelTie: LabelTieHalf})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := r.Wilson(0.95)
	want, _ := Wilson(4, 6, 0.95)
	if got != want {
		t.Errorf("unit weights: %v, want %v", got, want)
	}
	// All weights 2: Kish n = n, successes = Credit/2, the same interval.
	ps := smallTable()
	for i := range ps {
		ps[i].Weight = 2
	}
	r2, _ := Accuracy(ps, Policy{PredTie: PredTieHalf, LabelTie: LabelTieHalf})
	got2, _ := r2.Wilson(0.95)
	if !near(got2.Lo, want.Lo, 1e-15, 0) || !near(got2.Hi, want.Hi, 1e-15, 0) {
		t.Errorf("weights 2: %v, want %v", got2, want)
	}
	// Macro has no Wilson interval.
	r3, _ := Accuracy(smallTable(), Policy{Averaging: Macro})
	if _, err := r3.Wilson(0.95); err == nil {
		t.Error("macro Wilson: no error")
	}
}

func TestWilsonNewcombe(t *testing.T) {
	t.Parallel()
	// Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3
	// (score interval without continuity correction), 4 decimals.
	tests := []struct {
		s, n   float64
		lo, hi float64
	}{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0.0000, 0.1611},
		{1, 29, 0.0061, 0.1718},
	}
	for _, tc := range tests {
		got, err := Wilson(tc.s, tc.n, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if !near(got.Lo, tc.lo, 5e-5, 0) || !near(got.Hi, tc.hi, 5e-5, 0) {
			t.Errorf("Wilson(%v/%v) = [%.4f, %.4f], Newcombe [%.4f, %.4f]", tc.s, tc.n, got.Lo, got.Hi, tc.lo, tc.hi)
		}
	}
}

func TestWilsonErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ s, n, level float64 }{
		{1, 0, 0.95}, {-1, 10, 0.95}, {11, 10, 0.95}, {1, 10, 0}, {1, 10, 1}, {math.NaN(), 10, 0.95}, {1, math.Inf(1), 0.95},
	} {
		if _, err := Wilson(tc.s, tc.n, tc.level); err == nil {
			t.Errorf("Wilson(%v, %v, %v): no error", tc.s, tc.n, tc.level)
		}
	}
}

func TestPickScoreEpsilon(t *testing.T) {
	t.Parallel()
	// For many score pairs, PickScore's rule on the softmax probabilities
	// and the Epsilon rule on the scores agree away from the boundary.
	for _, th := range []float64{0, 0.1, 0.3, 0.5, 0.9} {
		eps, err := PickScoreEpsilon(th)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2001 {
			d := -5 + float64(i)*0.005
			p0 := Sigmoid(d)
			p1 := 1 - p0
			if math.Abs(math.Abs(d)-eps) < 1e-9 {
				continue
			}
			if (math.Abs(p1-p0) <= th) != (math.Abs(d) <= eps) {
				t.Errorf("t=%v d=%v: probability rule %v, epsilon rule %v", th, d, math.Abs(p1-p0) <= th, math.Abs(d) <= eps)
			}
		}
	}
	if eps, _ := PickScoreEpsilon(1); !math.IsInf(eps, 1) {
		t.Errorf("PickScoreEpsilon(1) = %v, want +Inf", eps)
	}
	if _, err := PickScoreEpsilon(1.5); err == nil {
		t.Error("PickScoreEpsilon(1.5): no error")
	}
}
