package bench

import (
	"bytes"
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

// poissonSeries is one ratio statistic: indices into the per-prompt
// numerator and denominator sums.
type poissonSeries struct{ num, den int }

// poissonPass makes, in one pass over the scratch file grouped by prompt
// (sc.grouped), each scorer's credit and weight per prompt (and, for two
// scorers of which one failed on some pairs, both scorers' credit on the
// pairs both scored) and feeds every prompt, as it ends, to one
// stats.PoissonStream keyed by the prompt key, so that the prompt's
// Poisson weights depend on (seed, prompt) only. Memory: the open prompt's
// sums and the stream's B replicates per statistic; nothing per prompt.
func poissonPass(sc *scratch, failed []int, opts AnalyzeOptions, bopts stats.BootstrapOptions) (*poissonIntervals, error) {
	if !sc.grouped {
		return nil, fmt.Errorf("poisson bootstrap: the scratch file is not grouped by prompt")
	}
	n, pol := sc.scorers, opts.Policy
	allOK := true
	for _, f := range failed {
		allOK = allOK && f == 0
	}
	nNum, nDen := 0, 0
	newNum := func() int { nNum++; return nNum - 1 }
	newDen := func() int { nDen++; return nDen - 1 }
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
	// One statistic per numerator (numerators are numbered in order).
	series := make([]poissonSeries, nNum)
	for _, s := range scorer {
		series[s.num] = s
	}
	var diffs []stats.Diff
	for _, c := range cmps {
		series[c.a.num], series[c.b.num] = c.a, c.b
		diffs = append(diffs, stats.Diff{A: c.a.num, B: c.b.num})
	}
	stream, err := stats.NewPoissonStream(nNum, diffs, bopts)
	if err != nil {
		return nil, fmt.Errorf("poisson bootstrap: %w", err)
	}
	nums, dens := make([]float64, nNum), make([]float64, nDen)
	counts := make([]int, nNum) // counted pairs per numerator
	outNum, outDen := make([]float64, nNum), make([]float64, nNum)
	var key [keySize]byte
	open := false
	closePrompt := func() error {
		if !open {
			return nil
		}
		for k, s := range series {
			num, den := nums[s.num], dens[s.den]
			if pol.Averaging == stats.Macro && den > 0 {
				// A prompt's accuracy over 1.
				num, den = num/den, 1
			}
			outNum[k], outDen[k] = num, den
		}
		clear(nums)
		clear(dens)
		return stream.Add([2]uint64{binary.LittleEndian.Uint64(key[:8]), binary.LittleEndian.Uint64(key[8:])}, outNum, outDen)
	}
	credit := make([]float64, n)
	counted := make([]bool, n)
	err = sc.each(func(p stats.Pair, row []byte) error {
		if !open || !bytes.Equal(key[:], row[:keySize]) {
			if err := closePrompt(); err != nil {
				return err
			}
			copy(key[:], row[:keySize])
			open = true
		}
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
			nums[s.num] += w * credit[i]
			counts[s.num]++
			if !allOK || i == 0 {
				dens[s.den] += w
			}
		}
		for _, c := range cmps {
			if c.own && counted[c.i] && counted[c.j] {
				nums[c.a.num] += w * credit[c.i]
				nums[c.b.num] += w * credit[c.j]
				counts[c.a.num]++
				counts[c.b.num]++
				dens[c.a.den] += w
			}
		}
		return nil
	})
	if err == nil {
		err = closePrompt()
	}
	if err != nil {
		return nil, err
	}
	rs, ds, err := stream.Finish()
	if err != nil {
		return nil, fmt.Errorf("poisson bootstrap: %w", err)
	}
	pi := &poissonIntervals{scorer: make([]*stats.BootstrapResult, n), diff: map[[2]int]*stats.BootstrapResult{}}
	for i, s := range scorer {
		if counts[s.num] > 0 && rs[s.num].B > 0 {
			pi.scorer[i] = &rs[s.num]
		}
	}
	for d, c := range cmps {
		if counts[c.a.num] > 0 && counts[c.b.num] > 0 && ds[d].B > 0 {
			pi.diff[[2]int{c.i, c.j}] = &ds[d]
		}
	}
	return pi, nil
}
