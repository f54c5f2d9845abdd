package stats

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// BestOfNExpected is the exact expected measure score of best-of-n
// selection in one cell of k = len(selector) samples: the expectation, over
// a uniformly random n-subset of the samples, of measure[i] for the sample
// i of the subset with the highest selector score, ties in the selector
// broken uniformly at random.
//
// With the samples sorted by selector score ascending, a group of tied
// samples occupying ranks lo..hi (1-based) holds the subset's maximum with
// probability [C(hi, n) - C(lo-1, n)] / C(k, n), and given that, the chosen
// sample is uniform over the group's members in the subset, so by symmetry
// its expected measure is the group's mean measure. The cost is
// O(k log k + groups·n). It needs equal lengths, 1 <= n <= k and finite
// scores.
func BestOfNExpected(selector, measure []float64, n int) (float64, error) {
	k := len(selector)
	if len(measure) != k {
		return 0, fmt.Errorf("best-of-n: %d selector and %d measure scores, want equal", k, len(measure))
	}
	if n < 1 || n > k {
		return 0, fmt.Errorf("best-of-n: n = %d with %d samples, want 1 <= n <= %d", n, k, k)
	}
	for i := range k {
		if math.IsNaN(selector[i]) || math.IsInf(selector[i], 0) || math.IsNaN(measure[i]) || math.IsInf(measure[i], 0) {
			return 0, fmt.Errorf("best-of-n: sample %d: scores (%v, %v), want finite", i, selector[i], measure[i])
		}
	}
	order := make([]int, k)
	out := make([]float64, 1)
	bestOfNCell(selector, measure, []int{n}, order, out)
	return out[0], nil
}

// bestOfNCell writes to out[i] the best-of-ns[i] expectation of one cell
// (see BestOfNExpected), for every ns[i] <= len(a); order is scratch of
// len(a). Entries with ns[i] > len(a) are left alone.
func bestOfNCell(a, b []float64, ns []int, order []int, out []float64) {
	k := len(a)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return cmp.Compare(a[x], a[y]) })
	for i, n := range ns {
		if n <= k {
			out[i] = 0
		}
	}
	for lo := 0; lo < k; {
		hi := lo + 1
		for hi < k && a[order[hi]] == a[order[lo]] {
			hi++
		}
		// The group is order[lo:hi]: 1-based ranks lo+1..hi.
		var mean float64
		for _, i := range order[lo:hi] {
			mean += b[i]
		}
		mean /= float64(hi - lo)
		for i, n := range ns {
			if n > k {
				continue
			}
			p := binomRatio(hi, n, k) - binomRatio(lo, n, k)
			out[i] += p * mean
		}
		lo = hi
	}
}

// binomRatio is C(m, n) / C(k, n) for 0 <= m <= k, as the product
// prod_{i<n} (m-i)/(k-i), 0 when m < n.
func binomRatio(m, n, k int) float64 {
	if m < n {
		return 0
	}
	r := 1.0
	for i := range n {
		r *= float64(m-i) / float64(k-i)
	}
	return r
}
