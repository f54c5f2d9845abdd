package bench

import (
	"encoding/binary"
	"fmt"

	"github.com/srbench/srbench/harness/stats"
)

// poissonIntervals are the Poisson bootstrap results of one analysis: per
// scorer (nil when it counted no pair) and per comparison {i, j}, i < j (nil
// or absent when no pair both scored counts).
type poissonIntervals struct {
	scorer []*stats.BootstrapResult
	diff   map[[2]int]*stats.BootstrapResult
}

// poissonSeries is one ratio statistic: indices into the numerator and
// denominator arrays.
type poissonSeries struct{ num, den int }

// poissonPass sums, in one pass over the scratch file, each scorer's credit
// and weight per prompt (and, for two scorers of which one failed on some
// pairs, both scorers' credit on the pairs both scored), then runs one
// stats.PoissonBootstrap over all of them. Memory: 8 bytes per prompt per
// array; with no failures, one array per scorer and one shared weight array.
func poissonPass(sc *scratch, failed []int, opts AnalyzeOptions, bopts stats.BootstrapOptions) (*poissonIntervals, error) {
	k, n, pol := len(sc.prompts), sc.scorers, opts.Policy
	allOK := true
	for _, f := range failed {
		allOK = allOK && f == 0
	}
	var nums, dens [][]float64
	var counts []int // counted pairs per numerator
	newNum := func() int {
		nums, counts = append(nums, make([]float64, k)), append(counts, 0)
		return len(nums) - 1
	}
	newDen := func() int {
		dens = append(dens, make([]float64, k))
		return len(dens) - 1
	}
	scorer := make([]poissonSeries, n)
	for i := range scorer {
		scorer[i].num = newNum()
		if allOK && i > 0 {
			scorer[i].den = scorer[0].den
		} else {
			scorer[i].den = newDen()
		}
	}
	// A comparison of two scorers that never failed is on all pairs: their
	// own series. Otherwise it gets its own, on the pairs both scored.
	type comparison struct {
		i, j int
		a, b poissonSeries
		own  bool
	}
	var cmps []*comparison
	for i := range n {
		for j := i + 1; j < n; j++ {
			c := &comparison{i: i, j: j, a: scorer[i], b: scorer[j]}
			if failed[i] > 0 || failed[j] > 0 {
				c.own = true
				d := newDen()
				c.a = poissonSeries{num: newNum(), den: d}
				c.b = poissonSeries{num: newNum(), den: d}
			}
			cmps = append(cmps, c)
		}
	}
	credit := make([]float64, n)
	counted := make([]bool, n)
	err := sc.each(func(p stats.Pair, row []byte) error {
		g := binary.LittleEndian.Uint32(row)
		w := p.Weight
		if w == 0 {
			w = 1
		}
		for i := range n {
			ok, a, b := score(row, i)
			counted[i] = false
			if !ok {
				continue
			}
			q := p
			q.ScoreA, q.ScoreB = a, b
			credit[i], counted[i] = stats.Credit(q, pol)
			if !counted[i] {
				continue
			}
			s := scorer[i]
			nums[s.num][g] += w * credit[i]
			counts[s.num]++
			if !allOK || i == 0 {
				dens[s.den][g] += w
			}
		}
		for _, c := range cmps {
			if c.own && counted[c.i] && counted[c.j] {
				nums[c.a.num][g] += w * credit[c.i]
				nums[c.b.num][g] += w * credit[c.j]
				counts[c.a.num]++
				counts[c.b.num]++
				dens[c.a.den][g] += w
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if pol.Averaging == stats.Macro {
		// A prompt's accuracy over 1: every numerator first, since
		// denominators are shared.
		seen := map[int]bool{}
		conv := func(s poissonSeries) {
			if seen[s.num] {
				return
			}
			seen[s.num] = true
			for g, d := range dens[s.den] {
				if d > 0 {
					nums[s.num][g] /= d
				}
			}
		}
		for _, s := range scorer {
			conv(s)
		}
		for _, c := range cmps {
			conv(c.a)
			conv(c.b)
		}
		for _, d := range dens {
			for g, v := range d {
				if v > 0 {
					d[g] = 1
				}
			}
		}
	}
	// The statistics with counted pairs, each numerator once.
	var ratios []stats.RatioStat
	index := map[int]int{} // numerator → ratio
	add := func(s poissonSeries) (int, bool) {
		if counts[s.num] == 0 {
			return 0, false
		}
		if r, ok := index[s.num]; ok {
			return r, true
		}
		index[s.num] = len(ratios)
		ratios = append(ratios, stats.RatioStat{Num: nums[s.num], Den: dens[s.den]})
		return len(ratios) - 1, true
	}
	scorerRatio := make([]int, n)
	scorerOK := make([]bool, n)
	for i, s := range scorer {
		scorerRatio[i], scorerOK[i] = add(s)
	}
	var diffs []stats.Diff
	var diffOf [][2]int
	for _, c := range cmps {
		a, okA := add(c.a)
		b, okB := add(c.b)
		if okA && okB {
			diffs = append(diffs, stats.Diff{A: a, B: b})
			diffOf = append(diffOf, [2]int{c.i, c.j})
		}
	}
	pi := &poissonIntervals{scorer: make([]*stats.BootstrapResult, n), diff: map[[2]int]*stats.BootstrapResult{}}
	if len(ratios) == 0 {
		return pi, nil
	}
	rs, ds, err := stats.PoissonBootstrap(ratios, diffs, bopts)
	if err != nil {
		return nil, fmt.Errorf("poisson bootstrap: %w", err)
	}
	for i := range n {
		if scorerOK[i] {
			pi.scorer[i] = &rs[scorerRatio[i]]
		}
	}
	for d, key := range diffOf {
		pi.diff[key] = &ds[d]
	}
	return pi, nil
}
