package stats

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMcNemarExactHand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		b, c int
		want float64
	}{
		{0, 0, 1},
		{3, 3, 1},
		{0, 1, 1},                            // 2·P(X<=0; n=1) = 2·1/2
		{0, 6, 2.0 / 64},                     // 2·(1/2)^6
		{12, 2, 2 * (1 + 14 + 91) / 16384.0}, // 2·(C(14,0)+C(14,1)+C(14,2))/2^14
		{5, 1, 2 * 7 / 64.0},                 // 2·(1+6)/2^6
	}
	for _, tc := range tests {
		if got := McNemarExact(tc.b, tc.c); !near(got, tc.want, 1e-15, 1e-12) {
			t.Errorf("McNemarExact(%d, %d) = %.15g, want %.15g", tc.b, tc.c, got, tc.want)
		}
	}
}

// TestMcNemarOneSidedHand: P(X >= b) for X ~ Binomial(b+c, 1/2), by hand.
func TestMcNemarOneSidedHand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		b, c int
		want float64
	}{
		{0, 0, 1},              // no discordant pairs: nothing to test
		{12, 0, 1 / 4096.0},    // (1/2)^12
		{0, 12, 1},             // P(X >= 0)
		{5, 1, 7 / 64.0},       // (C(6,5)+C(6,6))/2^6
		{1, 5, 63 / 64.0},      // 1 - P(X = 0)
		{3, 3, 42 / 64.0},      // (C(6,3)+C(6,4)+C(6,5)+C(6,6))/2^6
		{12, 2, 106 / 16384.0}, // half of McNemarExact(12, 2)
	}
	for _, tc := range tests {
		if got := McNemarOneSided(tc.b, tc.c); !near(got, tc.want, 1e-15, 1e-12) {
			t.Errorf("McNemarOneSided(%d, %d) = %.15g, want %.15g", tc.b, tc.c, got, tc.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("McNemarOneSided(-1, 2) did not panic")
		}
	}()
	McNemarOneSided(-1, 2)
}

func TestMcNemarHalfCredit(t *testing.T) {
	t.Parallel()
	// Two scorers on smallTable under the PickScore rule. Scorer b flips
	// pair 1 (1 → 0), breaks the tie of pair 2 correctly (.5 → 1) and ties
	// pair 6 (.5 → 1): a wins 1, b wins 2, the other 3 equal.
	a := smallTable()
	b := smallTable()
	b[0].ScoreA, b[0].ScoreB = 1, 2
	b[1].ScoreA = 1.5
	b[5].ScoreA = 1
	got, err := McNemar(a, b, Policy{PredTie: PredTieHalf, LabelTie: LabelTieHalf})
	if err != nil {
		t.Fatal(err)
	}
	want := McNemarResult{AWins: 1, BWins: 2, Equal: 3, P: 1}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestMcNemarMisaligned(t *testing.T) {
	t.Parallel()
	a := smallTable()
	b := smallTable()
	b[2].Label = LabelA
	_, err := McNemar(a, b, Policy{})
	if err == nil || !strings.Contains(err.Error(), `pair 2 (prompt "p2"): field "Label"`) {
		t.Errorf("error = %v", err)
	}
	if _, err := McNemar(a, a[:3], Policy{}); err == nil {
		t.Error("length mismatch: no error")
	}
}

func TestHolmHand(t *testing.T) {
	t.Parallel()
	// m = 4; sorted .005·4 = .02, .01·3 = .03, .03·2 = .06, .04·1 → max .06.
	// Step-down at .05: .005 <= .0125 yes, .01 <= .05/3 yes, .03 <= .025 no.
	got, err := Holm([]float64{0.01, 0.04, 0.03, 0.005}, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	want := HolmResult{Adjusted: []float64{0.03, 0.06, 0.06, 0.02}, Reject: []bool{true, false, false, true}}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool { return near(a, b, 1e-15, 0) })); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	empty, err := Holm(nil, 0.05)
	if err != nil || len(empty.Adjusted) != 0 {
		t.Errorf("empty family: %v, %v", empty, err)
	}
	for _, bad := range [][]float64{{-0.1}, {1.5}, {math.NaN()}} {
		if _, err := Holm(bad, 0.05); err == nil {
			t.Errorf("Holm(%v): no error", bad)
		}
	}
	if _, err := Holm([]float64{0.1}, 0); err == nil {
		t.Error("alpha 0: no error")
	}
}
