package stats

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// Spearman returns Spearman's rank correlation of x and y: Pearson's
// correlation of their [MidRanks], so tied values share the mean of the
// ranks they span. It matches scipy.stats.spearmanr's correlation. It needs
// equal lengths and finite values, and is NaN with an [ErrUndefined] error
// when there are fewer than two values or x or y is constant. It sorts in
// memory (O(n log n)); it is meant for short series such as the points of a
// curve; the streaming rank statistic is [KendallTauBOf].
func Spearman(x, y []float64) (float64, error) {
	if len(y) != len(x) {
		return math.NaN(), fmt.Errorf("spearman: len(x) = %d, len(y) = %d, want equal", len(x), len(y))
	}
	for i := range x {
		if math.IsNaN(x[i]) || math.IsInf(x[i], 0) {
			return math.NaN(), fmt.Errorf("spearman: x[%d] = %v, want a finite number", i, x[i])
		}
		if math.IsNaN(y[i]) || math.IsInf(y[i], 0) {
			return math.NaN(), fmt.Errorf("spearman: y[%d] = %v, want a finite number", i, y[i])
		}
	}
	if len(x) < 2 {
		return math.NaN(), fmt.Errorf("spearman: n = %d, want at least 2: %w", len(x), ErrUndefined)
	}
	rx, ry := MidRanks(x), MidRanks(y)
	_, sx := stat.MeanStdDev(rx, nil)
	_, sy := stat.MeanStdDev(ry, nil)
	if sx == 0 {
		return math.NaN(), fmt.Errorf("spearman: x is constant: %w", ErrUndefined)
	}
	if sy == 0 {
		return math.NaN(), fmt.Errorf("spearman: y is constant: %w", ErrUndefined)
	}
	return stat.Correlation(rx, ry, nil), nil
}

// MidRanks returns the ranks of x, 1 for the smallest value, with tied
// values given the mean of the ranks they span (mid-ranks, "average" ranks):
// scipy.stats.rankdata(x, method="average"). NaN values are not ordered;
// give it finite values.
func MidRanks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		for k := i; k <= j; k++ {
			r[idx[k]] = float64(i+j)/2 + 1
		}
		i = j + 1
	}
	return r
}
