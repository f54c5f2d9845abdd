package stats

import (
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMidRanksHand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		x    []float64
		want []float64
	}{
		{"empty", nil, []float64{}},
		{"distinct", []float64{30, 10, 20}, []float64{3, 1, 2}},
		{"pair tie", []float64{10, 20, 20, 30}, []float64{1, 2.5, 2.5, 4}},
		{"all tied", []float64{7, 7, 7}, []float64{2, 2, 2}},
		{"two runs", []float64{2, 1, 2, 1, 2}, []float64{4, 1.5, 4, 1.5, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, MidRanks(tc.x)); d != "" {
				t.Errorf("MidRanks(%v) (-want +got):\n%s", tc.x, d)
			}
		})
	}
}

func TestSpearmanUndefined(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		x, y      []float64
		undefined bool // ErrUndefined rather than invalid input
	}{
		{"constant y", []float64{1, 2}, []float64{3, 3}, true},
		{"constant x", []float64{4, 4, 4}, []float64{1, 2, 3}, true},
		{"one value", []float64{1}, []float64{2}, true},
		{"no values", nil, nil, true},
		{"length mismatch", []float64{1, 2, 3}, []float64{1, 2}, false},
		{"NaN", []float64{1, math.NaN(), 3}, []float64{1, 2, 3}, false},
		{"Inf", []float64{1, 2, 3}, []float64{1, math.Inf(-1), 3}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Spearman(tc.x, tc.y)
			if err == nil || errors.Is(err, ErrUndefined) != tc.undefined {
				t.Fatalf("Spearman(%v, %v) error %v, want one (ErrUndefined: %v)", tc.x, tc.y, err, tc.undefined)
			}
			if !math.IsNaN(got) {
				t.Errorf("Spearman(%v, %v) = %v with an error, want NaN", tc.x, tc.y, got)
			}
		})
	}
}
