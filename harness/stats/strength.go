package stats

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
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
	if k < 1 {
		return nil, fmt.Errorf("accuracy by strength: %d bins, want at least 1", k)
	}
	if err := checkLevel(level); err != nil {
		return nil, fmt.Errorf("accuracy by strength: %w", err)
	}
	if err := pol.Validate(); err != nil {
		return nil, err
	}
	if err := checkPairs(pairs); err != nil {
		return nil, fmt.Errorf("accuracy by strength: %w", err)
	}
	var sv []float64
	for i, p := range pairs {
		if math.IsNaN(p.Strength) {
			continue
		}
		if math.IsInf(p.Strength, 0) {
			return nil, fmt.Errorf("accuracy by strength: pair %d (prompt %q): field \"Strength\": %v, want a finite number or NaN", i, p.PromptID, p.Strength)
		}
		sv = append(sv, p.Strength)
	}
	if len(sv) == 0 {
		return nil, fmt.Errorf("accuracy by strength: no pair has a Strength: %w", ErrNoPairs)
	}
	slices.Sort(sv)
	edges := make([]float64, k-1)
	for j := range edges {
		edges[j] = stat.Quantile(float64(j+1)/float64(k), stat.Empirical, sv, nil)
	}
	members := make([][]Pair, k)
	for _, p := range pairs {
		if math.IsNaN(p.Strength) {
			continue
		}
		b := 0
		for _, e := range edges {
			if p.Strength > e {
				b++
			}
		}
		members[b] = append(members[b], p)
	}
	var out []StrengthBin
	for _, ms := range members {
		if len(ms) == 0 {
			continue
		}
		r := clusters(ms, pol).result(pol)
		if r.Pairs == 0 {
			continue
		}
		sb := StrengthBin{Lo: math.Inf(1), Hi: math.Inf(-1), Result: r}
		for _, p := range ms {
			sb.Lo = math.Min(sb.Lo, p.Strength)
			sb.Hi = math.Max(sb.Hi, p.Strength)
		}
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
