package blipmodel

import (
	"math"
	"testing"
)

// TestGELU checks the reference GELU against textbook values of the exact
// (erf) form x·Φ(x), Φ the standard normal CDF; the tanh approximation
// gives 0.8411919906 at 1, which this tolerance rejects.
func TestGELU(t *testing.T) {
	for _, tc := range []struct{ x, want float64 }{
		{0, 0},
		{1, 0.8413447460685429},   // Φ(1) = 0.8413447460685429
		{-1, -0.1586552539314571}, // -Φ(-1)
		{2, 1.9544997361036416},   // 2·Φ(2) = 2·0.9772498680518208
	} {
		if got := gelu(tc.x); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("gelu(%v) = %.16g, want %.16g", tc.x, got, tc.want)
		}
	}
}

// TestHeadIndex checks the nn.Sequential indices of ImageReward's MLP
// (Linear 0, Dropout 1, Linear 2, Dropout 3, Linear 4, Dropout 5, Linear 6,
// Linear 7).
func TestHeadIndex(t *testing.T) {
	want := []int{0, 2, 4, 6, 7}
	for k, w := range want {
		if got := headIndex(k, 4); got != w {
			t.Errorf("headIndex(%d, 4) = %d, want %d", k, got, w)
		}
	}
}
