package stats

import (
	"cmp"
	"fmt"
	"math"

	"github.com/srbench/srbench/harness/internal/extsort"
)

// StrengthBin is the accuracy of the pairs whose label strength falls in
// one quantile bin.
type StrengthBin struct {
	Lo, Hi float64 // smallest and largest Strength in the bin
	Result Result  // accuracy of the bin's pairs (the policy's averaging)
	Wilson Interval
}

// AccuracyByStrength splits the pairs that have a Strength (not NaN) into k
// quantile bins and computes each bin's accuracy under pol. Edge j (j =
// 1..k-1) is the empirical (inverse-CDF) quantile of the strengths at j/k,
// gonum stat.Quantile with stat.Empirical, that is the order statistic
// x_(ceil(n·j/k)); a pair goes to bin #{j : Strength > edge_j}, so equal
// strengths share a bin and bins can be uneven. Bins without pairs, or whose
// pairs are all skipped, are left out. Wilson is the micro-accuracy Wilson
// interval at level (the zero Interval under Macro averaging).
func AccuracyByStrength(pairs []Pair, pol Policy, k int, level float64) ([]StrengthBin, error) {
	return AccuracyByStrengthOf(Slice(pairs), pol, k, level, Spill{})
}

// AccuracyByStrengthOf is [AccuracyByStrength] over a [Source]: one pass
// that sorts the strengths externally (sp) for the quantile edges, one pass
// that fills the bins.
func AccuracyByStrengthOf(src Source, pol Policy, k int, level float64, sp Spill) ([]StrengthBin, error) {
	if k < 1 {
		return nil, fmt.Errorf("accuracy by strength: %d bins, want at least 1", k)
	}
	if err := checkLevel(level); err != nil {
		return nil, fmt.Errorf("accuracy by strength: %w", err)
	}
	if err := pol.Validate(); err != nil {
		return nil, err
	}
	sorted := newSorter(sp, cmp.Compare[float64], extsort.Float64Codec(), nil)
	defer sorted.Close()
	i := 0
	err := src(func(p Pair) error {
		defer func() { i++ }()
		if err := p.check(i); err != nil {
			return err
		}
		if math.IsNaN(p.Strength) {
			return nil
		}
		if math.IsInf(p.Strength, 0) {
			return fmt.Errorf("pair %d (prompt %q): field \"Strength\": %v, want a finite number or NaN", i, p.PromptID, p.Strength)
		}
		return sorted.Add(p.Strength)
	})
	if err != nil {
		return nil, fmt.Errorf("accuracy by strength: %w", err)
	}
	n := sorted.Len()
	if n == 0 {
		return nil, fmt.Errorf("accuracy by strength: no pair has a Strength: %w", ErrNoPairs)
	}
	// Edge j is the first order statistic x_(i) (1-based) with i >= n·j/k,
	// exactly as gonum stat.Quantile(j/k, stat.Empirical, x, nil) finds it.
	edges := make([]float64, 0, k-1)
	rank := 0
	err = sorted.Merge(func(v float64, _ int) error {
		rank++
		for len(edges) < k-1 && float64(rank) >= float64(len(edges)+1)/float64(k)*float64(n) {
			edges = append(edges, v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	type bin struct {
		acc    *clusterAcc
		lo, hi float64
	}
	bins := make([]bin, k)
	for j := range bins {
		bins[j] = bin{acc: newClusterAcc(pol), lo: math.Inf(1), hi: math.Inf(-1)}
	}
	err = src(func(p Pair) error {
		if math.IsNaN(p.Strength) {
			return nil
		}
		b := 0
		for _, e := range edges {
			if p.Strength > e {
				b++
			}
		}
		bins[b].acc.addChecked(p)
		bins[b].lo = math.Min(bins[b].lo, p.Strength)
		bins[b].hi = math.Max(bins[b].hi, p.Strength)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("accuracy by strength: %w", err)
	}
	var out []StrengthBin
	for _, b := range bins {
		if b.acc.n == 0 {
			continue
		}
		r := b.acc.finish().result(pol)
		if r.Pairs == 0 {
			continue
		}
		sb := StrengthBin{Lo: b.lo, Hi: b.hi, Result: r}
		if pol.Averaging == Micro {
			ci, err := r.Wilson(level)
			if err != nil {
				return nil, fmt.Errorf("accuracy by strength: bin [%v, %v]: %w", sb.Lo, sb.Hi, err)
			}
			sb.Wilson = ci
		}
		out = append(out, sb)
	}
	return out, nil
}
