package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// RatioStat is one statistic of a [PoissonBootstrap]: the ratio
// sum_g Num[g] / sum_g Den[g] over prompts g. A micro accuracy is
// Num = a prompt's summed weighted credit and Den its summed weight; a macro
// accuracy is Num = the prompt's accuracy and Den = 1 (0 for a prompt
// without counted pairs). Every RatioStat of one call indexes the same
// prompts; a prompt that does not count for a statistic has Num = Den = 0.
// Statistics may share slices (e.g. the same Den).
type RatioStat struct {
	Num, Den []float64
}

// Diff is the difference RatioStat[A] - RatioStat[B] of a PoissonBootstrap.
type Diff struct{ A, B int }

// PoissonBlock is the number of prompts of one block of a
// [PoissonBootstrap]: each block draws its weights from its own generator,
// seeded by (Seed, block index), and blocks are merged in block order, so
// the result depends on the seed and not on GOMAXPROCS.
const PoissonBlock = 4096

// poissonCDF[k] is P(X <= k) for X ~ Poisson(1), scaled to 2^64 for
// comparison with a uniform uint64; beyond the table (P < 1e-18) a draw is
// capped at its length.
var poissonCDF = func() []uint64 {
	var t []uint64
	p, cdf := math.Exp(-1), 0.0
	for k := 0; k < 20; k++ {
		cdf += p
		p /= float64(k + 1)
		if cdf >= 1 {
			break
		}
		t = append(t, uint64(cdf*(1<<63))*2)
	}
	return t
}()

// poisson1 draws from Poisson(1) by inversion of one uniform.
func poisson1(rng *rand.Rand) float64 {
	u := rng.Uint64()
	k := 0
	for k < len(poissonCDF) && u >= poissonCDF[k] {
		k++
	}
	return float64(k)
}

// PoissonBootstrap is a Poisson(1) bootstrap over prompts of several ratio
// statistics and of differences between them, in one pass: in each of B
// replicates every prompt gets an independent Poisson(1) weight, the same
// for every statistic (so differences keep their pairing), and each
// statistic's replicate is sum w_g·Num[g] / sum w_g·Den[g]. It estimates the
// same sampling distribution as the multinomial cluster bootstrap of
// [Bootstrap] and [PairedBootstrap] (Hanley and MacGibbon 2006; Chamandy et
// al. 2012), without a fixed resample size, which lets the prompts be
// visited once, in blocks of [PoissonBlock] prompts processed in parallel
// (GOMAXPROCS goroutines), each with partial sums for all B replicates
// merged in block order. Cost: O(B·prompts·(1 + statistics)) time and
// O(B·statistics·GOMAXPROCS) memory beyond the inputs; the result is the
// same for a given seed whatever the number of cores.
//
// Intervals are percentile intervals as in [Bootstrap]. A replicate whose
// Den is 0 (every counted prompt drew weight 0, only likely with a handful
// of prompts) is left out of that statistic; Clusters is the number of
// prompts with Den > 0 (for a Diff, of statistic A).
func PoissonBootstrap(ratios []RatioStat, diffs []Diff, opts BootstrapOptions) ([]BootstrapResult, []BootstrapResult, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	if len(ratios) == 0 {
		return nil, nil, fmt.Errorf("poisson bootstrap: no statistics")
	}
	k := len(ratios[0].Num)
	for i, r := range ratios {
		if len(r.Num) != k || len(r.Den) != k {
			return nil, nil, fmt.Errorf("poisson bootstrap: statistic %d has %d and %d prompts, want %d", i, len(r.Num), len(r.Den), k)
		}
	}
	for _, d := range diffs {
		if d.A < 0 || d.A >= len(ratios) || d.B < 0 || d.B >= len(ratios) {
			return nil, nil, fmt.Errorf("poisson bootstrap: difference %d - %d: no such statistic", d.A, d.B)
		}
	}
	s, nb := len(ratios), opts.B
	// sums[b*2*s + 2*i] is statistic i's numerator in replicate b, +1 its
	// denominator.
	total := make([]float64, 2*s*nb)
	blocks := (k + PoissonBlock - 1) / PoissonBlock
	workers := max(1, min(runtime.GOMAXPROCS(0), blocks))
	parts := make([][]float64, workers)
	for w := range parts {
		parts[w] = make([]float64, 2*s*nb)
	}
	wts := make([][]float64, workers)
	for w := range wts {
		wts[w] = make([]float64, nb)
	}
	// Rounds of `workers` blocks: block first+w runs on worker w, then the
	// round's partial sums are added to total in block order.
	for first := 0; first < blocks; first += workers {
		var wg sync.WaitGroup
		n := min(workers, blocks-first)
		for w := range n {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				poissonBlock(ratios, first+w, k, opts.Seed, parts[w], wts[w])
			}(w)
		}
		wg.Wait()
		for w := range n {
			for i, v := range parts[w] {
				total[i] += v
			}
		}
	}
	est := func(i int) (float64, int) {
		var num, den float64
		n := 0
		for g := range k {
			num += ratios[i].Num[g]
			den += ratios[i].Den[g]
			if ratios[i].Den[g] > 0 {
				n++
			}
		}
		return num / den, n
	}
	rep := func(b, i int) float64 {
		o := b*2*s + 2*i
		if total[o+1] == 0 {
			return math.NaN()
		}
		return total[o] / total[o+1]
	}
	out := make([]BootstrapResult, s)
	for i := range ratios {
		e, n := est(i)
		reps := make([]float64, 0, nb)
		for b := range nb {
			if v := rep(b, i); !math.IsNaN(v) {
				reps = append(reps, v)
			}
		}
		if len(reps) == 0 {
			return nil, nil, fmt.Errorf("poisson bootstrap: statistic %d: %w", i, ErrNoPairs)
		}
		out[i] = finishBootstrap(e, reps, n, opts)
	}
	dout := make([]BootstrapResult, len(diffs))
	for j, d := range diffs {
		reps := make([]float64, 0, nb)
		for b := range nb {
			if v := rep(b, d.A) - rep(b, d.B); !math.IsNaN(v) {
				reps = append(reps, v)
			}
		}
		if len(reps) == 0 {
			return nil, nil, fmt.Errorf("poisson bootstrap: difference %d - %d: %w", d.A, d.B, ErrNoPairs)
		}
		dout[j] = finishBootstrap(out[d.A].Estimate-out[d.B].Estimate, reps, out[d.A].Clusters, opts)
	}
	return out, dout, nil
}

// poissonBlock sums block blk's prompts into part (zeroed first), drawing
// the weights from the block's own generator.
func poissonBlock(ratios []RatioStat, blk, k int, seed uint64, part, wt []float64) {
	clear(part)
	s := len(ratios)
	rng := rand.New(rand.NewPCG(seed, pcgStream^(uint64(blk)+1)*0x9e3779b97f4a7c15))
	lo, hi := blk*PoissonBlock, min(k, (blk+1)*PoissonBlock)
	for g := lo; g < hi; g++ {
		for b := range wt {
			wt[b] = poisson1(rng)
		}
		for i, r := range ratios {
			num, den := r.Num[g], r.Den[g]
			if den == 0 && num == 0 {
				continue
			}
			o := 2 * i
			for b, w := range wt {
				part[b*2*s+o] += w * num
				part[b*2*s+o+1] += w * den
			}
		}
	}
}
