package stats

import (
	"math"
	"testing"
)

// TestTIntervalTextbook: three seeds 0.60, 0.65, 0.70 have mean 0.65 and sd
// 0.05; the Student-t table gives t_{0.975, 2} = 4.303, so the 95% interval
// is 0.65 ± 4.303·0.05/√3 = 0.65 ± 0.1242.
func TestTIntervalTextbook(t *testing.T) {
	t.Parallel()
	got, err := TInterval([]float64{0.60, 0.65, 0.70}, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	h := 4.303 * 0.05 / math.Sqrt(3)
	if !near(got.Mean, 0.65, 1e-12, 0) || !near(got.SD, 0.05, 1e-12, 0) || got.N != 3 || got.Level != 0.95 ||
		!near(got.Lo, 0.65-h, 1e-4, 0) || !near(got.Hi, 0.65+h, 1e-4, 0) {
		t.Errorf("TInterval = %+v, want mean 0.65, sd 0.05, [%.4f, %.4f]", got, 0.65-h, 0.65+h)
	}
}

func TestTIntervalErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		xs    []float64
		level float64
	}{
		{"no values", nil, 0.95},
		{"one value", []float64{1}, 0.95},
		{"level 0", []float64{1, 2}, 0},
		{"level 1", []float64{1, 2}, 1},
		{"NaN level", []float64{1, 2}, math.NaN()},
		{"NaN value", []float64{1, math.NaN()}, 0.95},
		{"Inf value", []float64{math.Inf(1), 2}, 0.95},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := TInterval(tc.xs, tc.level); err == nil {
				t.Errorf("TInterval(%v, %v) = %+v, want an error", tc.xs, tc.level, got)
			}
		})
	}
}
