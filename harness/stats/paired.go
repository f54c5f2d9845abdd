package stats

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// McNemarResult is an exact McNemar (sign) test of two scorers on the same
// pairs.
type McNemarResult struct {
	AWins int // pairs where the first scorer earns more credit
	BWins int // pairs where the second scorer earns more credit
	Equal int // counted pairs with equal credit
	P     float64
}

// McNemar compares two scorers on the same pairs (a[i] and b[i] are the same
// pair) under pol: a pair is discordant when the two scorers earn different
// credit, and P is McNemarExact(AWins, BWins). With 0/1 credits this is
// McNemar's exact test; with half credits it is the exact sign test on the
// per-pair credit differences. Weights, averaging and prompt grouping do
// not enter: the test treats pairs as independent, so prefer
// PairedBootstrap when prompts contribute many pairs each.
func McNemar(a, b []Pair, pol Policy) (McNemarResult, error) {
	return McNemarOf(PairedSlices(a, b), pol)
}

// McNemarOf is [McNemar] over a [PairedSource], in one pass.
func McNemarOf(ps PairedSource, pol Policy) (McNemarResult, error) {
	if err := pol.Validate(); err != nil {
		return McNemarResult{}, err
	}
	var r McNemarResult
	i := 0
	err := ps(func(a, b Pair) error {
		if err := checkRow(i, a, b); err != nil {
			return err
		}
		i++
		ca, ok := Credit(a, pol)
		if !ok {
			return nil
		}
		cb, _ := Credit(b, pol)
		switch {
		case ca > cb:
			r.AWins++
		case cb > ca:
			r.BWins++
		default:
			r.Equal++
		}
		return nil
	})
	if err != nil {
		return McNemarResult{}, fmt.Errorf("mcnemar: %w", err)
	}
	if r.AWins+r.BWins+r.Equal == 0 {
		return McNemarResult{}, fmt.Errorf("mcnemar: %w", ErrNoPairs)
	}
	r.P = McNemarExact(r.AWins, r.BWins)
	return r, nil
}

// McNemarExact is the two-sided exact McNemar p-value for b and c discordant
// pairs: min(1, 2·P(X <= min(b, c))) with X ~ Binomial(b+c, 1/2), as
// statsmodels mcnemar(table, exact=True) computes it (and equal to scipy's
// binomtest(min(b,c), b+c, 0.5)). It is 1 when b+c = 0. It panics on
// negative counts.
func McNemarExact(b, c int) float64 {
	if b < 0 || c < 0 {
		panic(fmt.Sprintf("stats: McNemarExact(%d, %d): negative count", b, c))
	}
	n := b + c
	if n == 0 {
		return 1
	}
	k := min(b, c)
	p := 2 * distuv.Binomial{N: float64(n), P: 0.5}.CDF(float64(k))
	return math.Min(p, 1)
}

// McNemarOneSided is the exact one-sided McNemar p-value that the second of
// two paired scorers is worse than the first: b discordant pairs favour the
// first, c the second, and the p-value is
//
//	P(X >= b) = P(X <= c),   X ~ Binomial(b+c, 1/2),
//
// scipy's binomtest(b, b+c, 0.5, alternative="greater"); with the counts
// swapped, McNemarOneSided(c, b) is alternative="less". It is 1 when
// b+c = 0, and half of [McNemarExact](b, c) when b > c. It panics on
// negative counts.
func McNemarOneSided(b, c int) float64 {
	if b < 0 || c < 0 {
		panic(fmt.Sprintf("stats: McNemarOneSided(%d, %d): negative count", b, c))
	}
	if b+c == 0 {
		return 1
	}
	return math.Min(1, distuv.Binomial{N: float64(b + c), P: 0.5}.CDF(float64(c)))
}

// HolmResult is a Holm-Bonferroni correction.
type HolmResult struct {
	Adjusted []float64 // adjusted p-values, in input order
	Reject   []bool    // rejected at the family-wise level alpha
}

// Holm applies the Holm-Bonferroni step-down correction to a family of m
// p-values, as statsmodels multipletests(p, alpha, method="holm"): with the
// p-values sorted ascending, p_(j) (j = 1..m) is adjusted to
// min(1, max_{i<=j} (m-i+1)·p_(i)), and hypotheses are rejected in order
// while p_(j) <= alpha/(m-j+1), stopping at the first that is not.
func Holm(p []float64, alpha float64) (HolmResult, error) {
	if !(alpha > 0 && alpha < 1) {
		return HolmResult{}, fmt.Errorf("holm: alpha %v: want 0 < alpha < 1", alpha)
	}
	for i, v := range p {
		if !(v >= 0 && v <= 1) {
			return HolmResult{}, fmt.Errorf("holm: p[%d] = %v: want 0 <= p <= 1", i, v)
		}
	}
	m := len(p)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case p[a] < p[b]:
			return -1
		case p[a] > p[b]:
			return 1
		}
		return 0
	})
	res := HolmResult{Adjusted: make([]float64, m), Reject: make([]bool, m)}
	running := 0.0
	rejecting := true
	for j, i := range order {
		k := float64(m - j)
		if p[i] > alpha/k {
			rejecting = false
		}
		res.Reject[i] = rejecting
		running = math.Max(running, p[i]*k)
		res.Adjusted[i] = math.Min(running, 1)
	}
	return res, nil
}
