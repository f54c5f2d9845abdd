package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// PoissonStream is the [PoissonBootstrap] of prompts visited one at a time,
// for data too large to hold per-prompt arrays: [PoissonStream.Add] takes
// one prompt's numerators and denominators (one per statistic) and its key,
// and the B Poisson(1) weights of that prompt are drawn from a generator
// seeded by (Seed, key) alone. A prompt's weights therefore do not depend
// on which prompts came before it, on their order or on the number of
// cores, and every statistic of the prompt gets the same weights (so
// differences keep their pairing). Memory is O(B·statistics·GOMAXPROCS),
// whatever the number of prompts: prompts are buffered in blocks of
// [PoissonBlock], summed on GOMAXPROCS goroutines, and the blocks' partial
// sums are added in block order, so the result depends only on the prompts,
// their order, the keys and the seed.
//
// Keys should be distinct per prompt (srbench uses 128 bits of the SHA-256
// of the prompt id); two prompts with the same key get the same weights,
// which only correlates their draws. The intervals estimate the same
// sampling distribution as PoissonBootstrap and the multinomial cluster
// bootstrap, but not the same replicates: the draws differ.
type PoissonStream struct {
	opts      BootstrapOptions
	stats     int
	diffs     []Diff
	workers   int
	num, den  []float64 // the statistics on all prompts
	clusters  []int     // prompts with den > 0 per statistic
	total     []float64 // replicate sums, laid out as in PoissonBootstrap
	round     []*poissonBatch
	cur       *poissonBatch
	spare     []*poissonBatch
	parts, wt [][]float64
	finished  bool
}

// poissonBatch is up to PoissonBlock prompts: keys and, per prompt, the
// numerator and denominator of every statistic.
type poissonBatch struct {
	keys [][2]uint64
	vals []float64 // 2·stats per prompt
}

// NewPoissonStream starts a streaming Poisson bootstrap of the given
// number of ratio statistics and of the differences between them (indices
// into the statistics, as in PoissonBootstrap).
func NewPoissonStream(statistics int, diffs []Diff, opts BootstrapOptions) (*PoissonStream, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if statistics < 1 {
		return nil, fmt.Errorf("poisson bootstrap: %d statistics, want at least 1", statistics)
	}
	for _, d := range diffs {
		if d.A < 0 || d.A >= statistics || d.B < 0 || d.B >= statistics {
			return nil, fmt.Errorf("poisson bootstrap: difference %d - %d: no such statistic", d.A, d.B)
		}
	}
	w := max(1, runtime.GOMAXPROCS(0))
	s := &PoissonStream{opts: opts, stats: statistics, diffs: diffs, workers: w,
		num: make([]float64, statistics), den: make([]float64, statistics), clusters: make([]int, statistics),
		total: make([]float64, 2*statistics*opts.B)}
	s.parts, s.wt = make([][]float64, w), make([][]float64, w)
	for i := range w {
		s.parts[i] = make([]float64, 2*statistics*opts.B)
		s.wt[i] = make([]float64, opts.B)
	}
	return s, nil
}

// Add adds one prompt: num[i] and den[i] are its numerator and denominator
// of statistic i (a prompt that does not count for a statistic has both 0).
// len(num) and len(den) must be the number of statistics.
func (s *PoissonStream) Add(key [2]uint64, num, den []float64) error {
	if s.finished {
		return fmt.Errorf("poisson bootstrap: Add after Finish")
	}
	if len(num) != s.stats || len(den) != s.stats {
		return fmt.Errorf("poisson bootstrap: %d numerators and %d denominators, want %d", len(num), len(den), s.stats)
	}
	nonzero := false
	for i := range num {
		s.num[i] += num[i]
		s.den[i] += den[i]
		if den[i] > 0 {
			s.clusters[i]++
		}
		nonzero = nonzero || num[i] != 0 || den[i] != 0
	}
	if !nonzero {
		return nil // weights on zeros change nothing
	}
	if s.cur == nil {
		if n := len(s.spare); n > 0 {
			s.cur, s.spare = s.spare[n-1], s.spare[:n-1]
		} else {
			s.cur = &poissonBatch{}
		}
	}
	b := s.cur
	b.keys = append(b.keys, key)
	for i := range num {
		b.vals = append(b.vals, num[i], den[i])
	}
	if len(b.keys) == PoissonBlock {
		s.round, s.cur = append(s.round, b), nil
		if len(s.round) == s.workers {
			s.flush()
		}
	}
	return nil
}

// flush sums the round's batches in parallel and adds them to the total in
// batch order.
func (s *PoissonStream) flush() {
	var wg sync.WaitGroup
	for w, b := range s.round {
		wg.Add(1)
		go func(w int, b *poissonBatch) {
			defer wg.Done()
			s.sumBatch(b, s.parts[w], s.wt[w])
		}(w, b)
	}
	wg.Wait()
	for w, b := range s.round {
		for i, v := range s.parts[w] {
			s.total[i] += v
		}
		b.keys, b.vals = b.keys[:0], b.vals[:0]
		s.spare = append(s.spare, b)
	}
	s.round = s.round[:0]
}

// poissonSeed mixes a word (splitmix64's finaliser).
func poissonSeed(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// sumBatch sums one batch into part (zeroed first).
func (s *PoissonStream) sumBatch(b *poissonBatch, part, wt []float64) {
	clear(part)
	ns := s.stats
	var pcg rand.PCG
	for g, key := range b.keys {
		pcg.Seed(poissonSeed(s.opts.Seed^key[0]), poissonSeed(pcgStream^key[1]))
		for r := range wt {
			wt[r] = poissonOf(pcg.Uint64())
		}
		v := b.vals[2*ns*g : 2*ns*(g+1)]
		for i := range ns {
			num, den := v[2*i], v[2*i+1]
			if num == 0 && den == 0 {
				continue
			}
			o := 2 * i
			for r, w := range wt {
				part[r*2*ns+o] += w * num
				part[r*2*ns+o+1] += w * den
			}
		}
	}
}

// poissonOf is the Poisson(1) draw of one uniform uint64 (see poisson1).
func poissonOf(u uint64) float64 {
	k := 0
	for k < len(poissonCDF) && u >= poissonCDF[k] {
		k++
	}
	return float64(k)
}

// Finish returns each statistic's and each difference's bootstrap result,
// as PoissonBootstrap does. A statistic without prompts (no den > 0) gets
// a zero BootstrapResult (Clusters 0, B 0), and so does a difference
// involving one; it is not an error.
func (s *PoissonStream) Finish() ([]BootstrapResult, []BootstrapResult, error) {
	if s.finished {
		return nil, nil, fmt.Errorf("poisson bootstrap: Finish called twice")
	}
	s.finished = true
	if s.cur != nil && len(s.cur.keys) > 0 {
		s.round = append(s.round, s.cur)
	}
	s.cur = nil
	if len(s.round) > 0 {
		s.flush()
	}
	s.spare, s.parts, s.wt = nil, nil, nil
	ns, nb := s.stats, s.opts.B
	rep := func(b, i int) float64 {
		o := b*2*ns + 2*i
		if s.total[o+1] == 0 {
			return math.NaN()
		}
		return s.total[o] / s.total[o+1]
	}
	out := make([]BootstrapResult, ns)
	for i := range ns {
		if s.clusters[i] == 0 {
			continue
		}
		reps := make([]float64, 0, nb)
		for b := range nb {
			if v := rep(b, i); !math.IsNaN(v) {
				reps = append(reps, v)
			}
		}
		if len(reps) == 0 {
			continue
		}
		out[i] = finishBootstrap(s.num[i]/s.den[i], reps, s.clusters[i], s.opts)
	}
	dout := make([]BootstrapResult, len(s.diffs))
	for j, d := range s.diffs {
		if out[d.A].B == 0 || out[d.B].B == 0 {
			continue
		}
		reps := make([]float64, 0, nb)
		for b := range nb {
			if v := rep(b, d.A) - rep(b, d.B); !math.IsNaN(v) {
				reps = append(reps, v)
			}
		}
		if len(reps) == 0 {
			continue
		}
		dout[j] = finishBootstrap(out[d.A].Estimate-out[d.B].Estimate, reps, out[d.A].Clusters, s.opts)
	}
	return out, dout, nil
}
