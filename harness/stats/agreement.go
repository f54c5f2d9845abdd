package stats

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrUndefined is returned (wrapped) when a statistic is undefined for the
// input, e.g. Kendall's tau of a constant sequence.
var ErrUndefined = errors.New("statistic undefined for this input")

// KendallResult is Kendall's tau-b with its asymptotic p-value.
type KendallResult struct {
	Tau float64
	// P is the two-sided p-value of the normal approximation with the
	// tie-corrected variance (scipy's method="asymptotic"). scipy's default
	// method="auto" uses the exact distribution instead when there are no
	// ties and n <= 33; this package never does.
	P float64
	N int
}

// KendallTauB returns Kendall's tau-b of x and y,
//
//	tau_b = (n_c - n_d) / sqrt((n0 - n_x)(n0 - n_y)),  n0 = n(n-1)/2,
//
// with n_x, n_y the pairs tied in x, in y, matching scipy.stats.kendalltau
// (variant="b", method="asymptotic") including its p-value. It counts
// discordant pairs with a merge sort (Knight's algorithm), O(n log n), so
// n = 1e5 takes milliseconds. gonum's stat.Kendall is not a substitute: it
// is O(n²) tau-a and counts a zero difference as positive, so ties bias it.
// It needs n >= 3 finite values and is ErrUndefined when x or y is constant.
func KendallTauB(x, y []float64) (KendallResult, error) {
	n := len(x)
	if len(y) != n {
		return KendallResult{}, fmt.Errorf("kendall tau-b: len(x) = %d, len(y) = %d, want equal", n, len(y))
	}
	if n < 3 {
		return KendallResult{}, fmt.Errorf("kendall tau-b: n = %d, want at least 3", n)
	}
	for i := range n {
		if math.IsNaN(x[i]) || math.IsInf(x[i], 0) {
			return KendallResult{}, fmt.Errorf("kendall tau-b: x[%d] = %v, want a finite number", i, x[i])
		}
		if math.IsNaN(y[i]) || math.IsInf(y[i], 0) {
			return KendallResult{}, fmt.Errorf("kendall tau-b: y[%d] = %v, want a finite number", i, y[i])
		}
	}
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	slices.SortFunc(perm, func(a, b int) int {
		if c := cmp.Compare(x[a], x[b]); c != 0 {
			return c
		}
		return cmp.Compare(y[a], y[b])
	})
	xs := make([]float64, n)
	ys := make([]float64, n)
	for i, p := range perm {
		xs[i], ys[i] = x[p], y[p]
	}
	// Joint ties: runs of equal (x, y) in the sorted order.
	var ntie int64
	for i := 0; i < n; {
		j := i + 1
		for j < n && xs[j] == xs[i] && ys[j] == ys[i] {
			j++
		}
		t := int64(j - i)
		ntie += t * (t - 1) / 2
		i = j
	}
	xtie, x0, x1 := tieStats(xs)
	// Discordant pairs: strict inversions of y in the (x, y) order. Pairs tied
	// in x are in ascending y order, pairs tied in y are not inversions.
	dis := countInversions(ys, make([]float64, n))
	// ys is now sorted.
	ytie, y0, y1 := tieStats(ys)
	tot := int64(n) * int64(n-1) / 2
	if xtie == tot {
		return KendallResult{}, fmt.Errorf("kendall tau-b: x is constant: %w", ErrUndefined)
	}
	if ytie == tot {
		return KendallResult{}, fmt.Errorf("kendall tau-b: y is constant: %w", ErrUndefined)
	}
	cmd := float64(tot - xtie - ytie + ntie - 2*dis)
	tau := cmd / math.Sqrt(float64(tot-xtie)) / math.Sqrt(float64(tot-ytie))
	tau = math.Min(1, math.Max(-1, tau))
	size := float64(n)
	m := size * (size - 1)
	v := (m*(2*size+5)-x1-y1)/18 + (2*float64(xtie)*float64(ytie))/m + x0*y0/(9*m*(size-2))
	z := cmd / math.Sqrt(v)
	return KendallResult{Tau: tau, P: math.Erfc(math.Abs(z) / math.Sqrt2), N: n}, nil
}

// tieStats returns, over runs of equal values t in sorted s, the sums of
// t(t-1)/2, t(t-1)(t-2) and t(t-1)(2t+5).
func tieStats(s []float64) (pairs int64, v0, v1 float64) {
	for i := 0; i < len(s); {
		j := i + 1
		for j < len(s) && s[j] == s[i] {
			j++
		}
		if t := int64(j - i); t > 1 {
			ft := float64(t)
			pairs += t * (t - 1) / 2
			v0 += ft * (ft - 1) * (ft - 2)
			v1 += ft * (ft - 1) * (2*ft + 5)
		}
		i = j
	}
	return pairs, v0, v1
}

// countInversions sorts s ascending (bottom-up merge sort, buf as scratch of
// the same length) and returns the number of pairs i < j with s[i] > s[j].
func countInversions(s, buf []float64) int64 {
	var inv int64
	n := len(s)
	if n < 2 {
		return 0
	}
	src, dst := s, buf
	for width := 1; width < n; width *= 2 {
		for lo := 0; lo < n; lo += 2 * width {
			mid := min(lo+width, n)
			hi := min(lo+2*width, n)
			i, j, k := lo, mid, lo
			for i < mid && j < hi {
				if src[i] <= src[j] {
					dst[k] = src[i]
					i++
				} else {
					dst[k] = src[j]
					inv += int64(mid - i)
					j++
				}
				k++
			}
			k += copy(dst[k:], src[i:mid])
			copy(dst[k:], src[j:hi])
		}
		src, dst = dst, src
	}
	if &src[0] != &s[0] {
		copy(s, src)
	}
	return inv
}

// AgreementResult compares two scorers' preferences on the same pairs.
type AgreementResult struct {
	// Kendall is tau-b between the two scorers' differences ScoreA-ScoreB.
	Kendall KendallResult
	// Same counts pairs where both scorers strictly prefer the same image;
	// EitherTie counts pairs where at least one scorer gives equal scores.
	Same, EitherTie, N int
	// SameShare is Same/N.
	SameShare float64
}

// Agreement measures how far two scorers agree on the same pairs (a[i] and
// b[i] the same pair): Kendall's tau-b of their score differences and the
// share of pairs on which both prefer the same image. Labels, weights and
// tie policies do not enter; every pair counts once.
func Agreement(a, b []Pair) (AgreementResult, error) {
	if err := checkAligned(a, b); err != nil {
		return AgreementResult{}, fmt.Errorf("agreement: %w", err)
	}
	da := make([]float64, len(a))
	db := make([]float64, len(b))
	var r AgreementResult
	for i := range a {
		da[i] = a[i].ScoreA - a[i].ScoreB
		db[i] = b[i].ScoreA - b[i].ScoreB
		switch {
		case da[i] == 0 || db[i] == 0:
			r.EitherTie++
		case (da[i] > 0) == (db[i] > 0):
			r.Same++
		}
	}
	k, err := KendallTauB(da, db)
	if err != nil {
		return AgreementResult{}, fmt.Errorf("agreement: %w", err)
	}
	r.Kendall = k
	r.N = len(a)
	r.SameShare = float64(r.Same) / float64(r.N)
	return r, nil
}
