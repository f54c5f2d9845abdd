package stats

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
)

// PromptScores is one prompt of a scored gallery: Cells[g][j][k] is judge
// j's score of generator g's sample k for this prompt. A generator without
// images for the prompt has an empty Cells[g] (nil or of length 0, so a
// source can reuse its slices; or judges' slices without samples); otherwise
// Cells[g] has one slice per judge, all of the same length K >= 1 (the
// generator's samples). A NaN score means the judge has no score for that
// image (scoring failed, no ground truth): it is skipped and counted. An
// infinite score is an error.
type PromptScores struct {
	PromptID string
	Cells    [][][]float64
}

// GallerySource streams each prompt of a gallery exactly once, in any
// order, calling yield for each and returning the first error yield
// returns. The PromptScores is only read during the yield call, so a
// source may reuse its slices. Prompt ids must be unique: a repeated id
// would draw the same bootstrap weights twice; [Leaderboard] detects a
// repeat only when it immediately follows (a complete check would need
// memory that grows with the number of prompts).
type GallerySource func(yield func(PromptScores) error) error

// GallerySlice is a [GallerySource] over an in-memory slice.
func GallerySlice(ps []PromptScores) GallerySource {
	return func(yield func(PromptScores) error) error {
		for _, p := range ps {
			if err := yield(p); err != nil {
				return err
			}
		}
		return nil
	}
}

// LeaderboardOptions configures [Leaderboard]. Zero values are the
// documented defaults.
type LeaderboardOptions struct {
	// Generators and Judges name the first two indices of
	// PromptScores.Cells; both are required. A ground-truth label can be
	// one more judge.
	Generators, Judges []string
	// Level is the confidence level of every interval; 0 means 0.95.
	Level float64
	// Resamples is the number of Poisson bootstrap replicates; 0 means 1000.
	Resamples int
	// Seed seeds every prompt's bootstrap weights (with the prompt id).
	Seed uint64
	// Alpha is the family-wise level of the Holm correction of each
	// judge's sign tests; 0 means 0.05.
	Alpha float64
	// BestOfN lists the n of best-of-n selection. nil means 1, 2, 4, ...,
	// 1024, keeping those not above the largest cell seen. 1 is always
	// added (gains are relative to it).
	BestOfN []int
	// Prior is the number of tied pseudo-comparisons between every pair of
	// generators used when a Bradley–Terry MLE does not exist; 0 means
	// DefaultBTPrior.
	Prior float64
	// Workers is the number of goroutines accumulating bootstrap
	// replicates; 0 means DefaultLeaderboardWorkers. Prompt n goes to
	// worker n mod Workers, so results are identical run to run for the
	// same input order and Workers (a different order or Workers changes
	// them only by floating-point rounding).
	Workers int
}

// DefaultLeaderboardWorkers is LeaderboardOptions.Workers' default: a
// constant, not the number of CPUs, so that the same gallery gives the same
// numbers on every machine.
const DefaultLeaderboardWorkers = 4

// LeaderboardResult is the output of [Leaderboard].
type LeaderboardResult struct {
	Generators, Judges []string
	// CIMethod is "poisson-bootstrap".
	CIMethod  string
	Resamples int
	Level     float64
	Seed      uint64
	Alpha     float64
	Prior     float64
	// Ns is the list of best-of-n sizes evaluated, ascending, starting at 1.
	Ns     []int
	Counts LeaderboardCounts
	// ByJudge has one board per judge, in Judges order.
	ByJudge []JudgeBoard
	// Agreement has Kendall's tau-b between the Bradley–Terry strengths of
	// every pair of judges (A < B in Judges order).
	Agreement []JudgeAgreement
	// BestOfN has one entry per (selector, measure, n), selector-major,
	// then measure, then n, including selector == measure.
	BestOfN []BestOfNResult
}

// LeaderboardCounts counts the input.
type LeaderboardCounts struct {
	Prompts int
	// Images counts samples over all cells (each image once, whatever the
	// number of judges).
	Images int
	// MissingPrompts[g] counts prompts without images of generator g.
	MissingPrompts []int
	// UnequalCells counts cells with fewer samples than the largest cell of
	// their prompt.
	UnequalCells int
	// MaxSamples is the largest number of samples in one cell.
	MaxSamples int
	// NaNScores[j] counts NaN (skipped) scores of judge j.
	NaNScores []int
}

// JudgeBoard is one judge's leaderboard.
type JudgeBoard struct {
	Judge string
	// Means has one entry per generator, in Generators order.
	Means []GeneratorMean
	// WinRates has one entry per ordered pair of distinct generators,
	// generator-major in Generators order.
	WinRates []WinRate
	// Strength is the Bradley–Terry fit of the win rates.
	Strength BTStrength
}

// GeneratorMean is a generator's mean score under one judge: the mean over
// prompts of the generator's cell mean (the mean of its finite scores for
// the prompt), with a prompt-level bootstrap interval.
type GeneratorMean struct {
	Generator string
	Mean      BootstrapResult
	// Prompts counts prompts with at least one finite score of the
	// generator; Images counts its finite scores.
	Prompts, Images int
}

// WinRate is the head-to-head win rate of Generator over Opponent under one
// judge. For a prompt where both have finite scores, w_p is the share of
// (Generator sample, Opponent sample) pairs where Generator's score is
// higher, ties counting 1/2; Rate is the mean of w_p over those Prompts.
type WinRate struct {
	Generator, Opponent string
	Prompts             int
	Rate                BootstrapResult
	// Wins, Losses and Ties count prompts with w_p above, below and equal
	// to 1/2. P is the two-sided exact sign test of Wins against Losses
	// (binomial, p = 1/2, [McNemarExact]); PHolm is P adjusted by [Holm]
	// over all unordered pairs of generators of the judge, and Reject says
	// whether PHolm is at most Alpha.
	Wins, Losses, Ties int
	P, PHolm           float64
	Reject             bool
}

// BTStrength is a Bradley–Terry fit of one judge's comparisons:
// wins[g][h] is the sum over shared prompts of w_p, N[g][h] the number of
// shared prompts.
type BTStrength struct {
	// Beta[g] is generator g's log-strength (sum 0) with its bootstrap
	// interval.
	Beta []BootstrapResult
	// Regularised is set when the maximum likelihood estimate does not
	// exist for the full data (the comparison graph is not strongly
	// connected, e.g. a generator never loses) and the fit used Prior
	// tied pseudo-comparisons between every pair (see [BradleyTerry]);
	// then every replicate uses the prior too.
	Regularised bool
	Prior       float64
	// RegularisedReplicates counts replicates of an unregularised fit whose
	// own comparison graph was not strongly connected, so that replicate
	// was fitted with Prior.
	RegularisedReplicates int
	// RankProb[g][r] is the share of bootstrap replicates in which
	// generator g has rank r+1 by strength (rank 1 the strongest); tied
	// strengths split their ranks evenly. Rank is the point estimate's
	// rank of each generator (ties averaged).
	RankProb [][]float64
	Rank     []float64
}

// JudgeAgreement is Kendall's tau-b between two judges' Bradley–Terry
// strengths over the generators, with a bootstrap interval from the same
// (paired) replicates. Tau.Estimate is NaN when tau is undefined (fewer
// than 3 generators or constant strengths); Note says why.
type JudgeAgreement struct {
	A, B string
	Tau  BootstrapResult
	Note string
}

// BestOfNResult is best-of-n selection by judge Selector measured by judge
// Measure.
type BestOfNResult struct {
	Selector, Measure string
	N                 int
	// Cells counts (prompt, generator) cells included; SkippedSmall
	// those with fewer than N samples, SkippedNaN those with a NaN score
	// of Selector or Measure.
	Cells, SkippedSmall, SkippedNaN int
	// Value is the mean over included cells (all generators pooled) of the
	// exact expected Measure score of the sample Selector ranks highest in
	// a uniformly random N-subset of the cell ([BestOfNExpected]).
	Value BootstrapResult
	// ByGenerator[g] is Value over generator g's cells alone (point
	// estimate; NaN without cells).
	ByGenerator []float64
	// Gain is Value - Value at n = 1; ZGain is Gain divided by Measure's
	// standard deviation over all its finite scores (pooled over prompts
	// and generators, n-1 denominator).
	Gain, ZGain BootstrapResult
	// OverOpt is the over-optimisation signal ZGain(Selector, Selector, N)
	// - ZGain(Selector, Measure, N): how much more selection by Selector
	// improves Selector's own score than Measure's. Zero (with an empty
	// interval) when Selector == Measure.
	OverOpt BootstrapResult
}

// Leaderboard ranks generators by reward-model scores: per judge, each
// generator's mean score, head-to-head win rates with Holm-corrected sign
// tests, Bradley–Terry strengths with rank probabilities; Kendall's tau-b
// between judges' strengths; and best-of-n selection values, gains and
// over-optimisation for every (selector, measure) pair of judges. See the
// package documentation ("Generator leaderboards") for the method.
//
// src is visited once. Memory is O(Workers·Resamples·(J·G² + J²·len(Ns)) +
// J²·G·len(Ns)) for J judges and G generators, independent of the number of
// prompts: every interval is a streaming Poisson(1) bootstrap over prompts
// whose weights come from a generator seeded by (Seed, hash of PromptID),
// so results do not depend on the prompt order or the number of workers
// (up to floating-point rounding of sums).
func Leaderboard(src GallerySource, opts LeaderboardOptions) (LeaderboardResult, error) {
	lb, err := newLeaderboard(opts)
	if err != nil {
		return LeaderboardResult{}, err
	}
	if err := lb.run(src); err != nil {
		return LeaderboardResult{}, err
	}
	return lb.finish()
}

// lbLayout indexes the ratio sums of one replicate.
type lbLayout struct {
	G, J, nN                 int
	winBase, sdBase, bonBase int
	size                     int
}

func newLayout(g, j, nN int) lbLayout {
	l := lbLayout{G: g, J: j, nN: nN}
	l.winBase = j * g * 2
	l.sdBase = l.winBase + j*g*g*2
	l.bonBase = l.sdBase + j*3
	l.size = l.bonBase + j*j*nN*2
	return l
}

// mean is (sum of cell means, prompts) of judge j, generator g.
func (l lbLayout) mean(j, g int) int { return (j*l.G + g) * 2 }

// win is (wins of g over h, shared prompts) of judge j.
func (l lbLayout) win(j, g, h int) int { return l.winBase + ((j*l.G+g)*l.G+h)*2 }

// sd is (sum, sum of squares, count) of judge j's finite scores.
func (l lbLayout) sd(j int) int { return l.sdBase + j*3 }

// bon is (sum of cell values, cells) of selector a, measure b, n index ni.
func (l lbLayout) bon(a, b, ni int) int { return l.bonBase + ((a*l.J+b)*l.nN+ni)*2 }

type lbDigest struct {
	seed uint64
	idx  []int32
	val  []float64
}

type leaderboard struct {
	opts       LeaderboardOptions
	boot       BootstrapOptions
	ns         []int
	defaultNs  bool
	lay        lbLayout
	pt         []float64 // point sums (weight 1)
	counts     LeaderboardCounts
	images     [][]int    // [j][g] finite scores
	sign       [][][3]int // [j][g*G+h] (g<h): prompts with w > , <, = 1/2
	bonCells   [][3]int   // [bon index/2 - ...]: included, small, NaN
	bonGen     []float64  // [(a*J+b)*nN+ni)*G+g]*2: sum, count
	reps       [][]float64
	lastID     string
	started    bool
	order      []int
	tmp        []float64
	vs         []float64 // per-prompt best-of-n sums, by n
	cnt        []int
	present    []bool
	finiteCell [][]bool // [g][j]: cell has only finite scores of judge j
}

func newLeaderboard(opts LeaderboardOptions) (*leaderboard, error) {
	G, J := len(opts.Generators), len(opts.Judges)
	if G == 0 {
		return nil, fmt.Errorf("leaderboard: no generators")
	}
	if J == 0 {
		return nil, fmt.Errorf("leaderboard: no judges")
	}
	for _, names := range [][]string{opts.Generators, opts.Judges} {
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] {
				return nil, fmt.Errorf("leaderboard: name %q repeated", n)
			}
			seen[n] = true
		}
	}
	if opts.Alpha == 0 {
		opts.Alpha = 0.05
	}
	if !(opts.Alpha > 0 && opts.Alpha < 1) {
		return nil, fmt.Errorf("leaderboard: field \"Alpha\": %v, want 0 < alpha < 1", opts.Alpha)
	}
	if opts.Prior == 0 {
		opts.Prior = DefaultBTPrior
	}
	if !(opts.Prior > 0) || math.IsInf(opts.Prior, 0) {
		return nil, fmt.Errorf("leaderboard: field \"Prior\": %v, want a finite number > 0", opts.Prior)
	}
	if opts.Workers < 0 {
		return nil, fmt.Errorf("leaderboard: field \"Workers\": %d, want >= 0", opts.Workers)
	}
	if opts.Workers == 0 {
		opts.Workers = DefaultLeaderboardWorkers
	}
	boot, err := BootstrapOptions{B: opts.Resamples, Level: opts.Level, Seed: opts.Seed}.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("leaderboard: %w", err)
	}
	opts.Resamples, opts.Level = boot.B, boot.Level
	lb := &leaderboard{opts: opts, boot: boot}
	if opts.BestOfN == nil {
		lb.defaultNs = true
		for n := 1; n <= 1024; n *= 2 {
			lb.ns = append(lb.ns, n)
		}
	} else {
		lb.ns = []int{1}
		for _, n := range opts.BestOfN {
			if n < 1 {
				return nil, fmt.Errorf("leaderboard: field \"BestOfN\": n = %d, want >= 1", n)
			}
			lb.ns = append(lb.ns, n)
		}
		slices.Sort(lb.ns)
		lb.ns = slices.Compact(lb.ns)
	}
	nN := len(lb.ns)
	lb.lay = newLayout(G, J, nN)
	lb.pt = make([]float64, lb.lay.size)
	lb.counts = LeaderboardCounts{MissingPrompts: make([]int, G), NaNScores: make([]int, J)}
	lb.images = make([][]int, J)
	lb.sign = make([][][3]int, J)
	for j := range J {
		lb.images[j] = make([]int, G)
		lb.sign[j] = make([][3]int, G*G)
	}
	lb.bonCells = make([][3]int, J*J*nN)
	lb.bonGen = make([]float64, J*J*nN*G*2)
	lb.vs, lb.cnt = make([]float64, nN), make([]int, nN)
	lb.present = make([]bool, J*G)
	lb.finiteCell = make([][]bool, G)
	for g := range G {
		lb.finiteCell[g] = make([]bool, J)
	}
	lb.tmp = make([]float64, nN)
	return lb, nil
}

// promptSeed is the PCG stream of a prompt's bootstrap weights: FNV-1a of
// the id, mixed (splitmix64) with the fixed stream word.
func promptSeed(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	z := h.Sum64() ^ pcgStream
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (lb *leaderboard) run(src GallerySource) error {
	R, S, W := lb.opts.Resamples, lb.lay.size, lb.opts.Workers
	// Prompt n goes to worker n mod W, and each worker sums its prompts in
	// order: the sums, and so every result, are the same on every run.
	chs := make([]chan lbDigest, W)
	lb.reps = make([][]float64, W)
	var wg sync.WaitGroup
	for w := range W {
		lb.reps[w] = make([]float64, R*S)
		chs[w] = make(chan lbDigest, 4)
		wg.Add(1)
		go func(acc []float64, ch <-chan lbDigest) {
			defer wg.Done()
			wt := make([]float64, R)
			for d := range ch {
				rng := rand.New(rand.NewPCG(lb.opts.Seed, d.seed))
				for b := range wt {
					wt[b] = poisson1(rng)
				}
				for b, w := range wt {
					if w == 0 {
						continue
					}
					row := acc[b*S : (b+1)*S]
					for i, k := range d.idx {
						row[k] += w * d.val[i]
					}
				}
			}
		}(lb.reps[w], chs[w])
	}
	n := 0
	err := src(func(p PromptScores) error {
		d, err := lb.digest(p)
		if err != nil {
			return err
		}
		for i, k := range d.idx {
			lb.pt[k] += d.val[i]
		}
		chs[n%W] <- d
		n++
		return nil
	})
	for _, ch := range chs {
		close(ch)
	}
	wg.Wait()
	if err != nil {
		return fmt.Errorf("leaderboard: %w", err)
	}
	if lb.counts.Prompts == 0 {
		return fmt.Errorf("leaderboard: no prompts")
	}
	return nil
}

// digest validates one prompt, updates the counts and point-only sums, and
// returns its contributions to the replicated ratio sums.
func (lb *leaderboard) digest(p PromptScores) (lbDigest, error) {
	G, J, l := lb.lay.G, lb.lay.J, lb.lay
	gens, judges := lb.opts.Generators, lb.opts.Judges
	if lb.started && p.PromptID == lb.lastID {
		return lbDigest{}, fmt.Errorf("prompt %q: repeated", p.PromptID)
	}
	lb.started, lb.lastID = true, p.PromptID
	if len(p.Cells) != G {
		return lbDigest{}, fmt.Errorf("prompt %q: %d generator cells, want %d", p.PromptID, len(p.Cells), G)
	}
	maxK := 0
	ks := make([]int, G)
	for g, cell := range p.Cells {
		if len(cell) == 0 {
			continue // no images of this generator for the prompt
		}
		if len(cell) != J {
			return lbDigest{}, fmt.Errorf("prompt %q: generator %q: %d judges' scores, want %d", p.PromptID, gens[g], len(cell), J)
		}
		ks[g] = len(cell[0])
		for j := range J {
			if len(cell[j]) != ks[g] {
				return lbDigest{}, fmt.Errorf("prompt %q: generator %q: judge %q has %d scores, judge %q %d, want equal",
					p.PromptID, gens[g], judges[j], len(cell[j]), judges[0], ks[g])
			}
			for k, v := range cell[j] {
				if math.IsInf(v, 0) {
					return lbDigest{}, fmt.Errorf("prompt %q: generator %q: judge %q: sample %d: score %v, want finite or NaN",
						p.PromptID, gens[g], judges[j], k, v)
				}
			}
		}
		maxK = max(maxK, ks[g])
	}
	lb.counts.Prompts++
	lb.counts.MaxSamples = max(lb.counts.MaxSamples, maxK)
	for g := range G {
		lb.counts.Images += ks[g]
		if ks[g] == 0 {
			lb.counts.MissingPrompts[g]++
		} else if ks[g] < maxK {
			lb.counts.UnequalCells++
		}
	}
	d := lbDigest{seed: promptSeed(p.PromptID)}
	add := func(k int, v float64) {
		if v != 0 {
			d.idx = append(d.idx, int32(k))
			d.val = append(d.val, v)
		}
	}
	for j := range J {
		var sum, sq, n float64
		for g := range G {
			lb.present[j*G+g] = false
			lb.finiteCell[g][j] = ks[g] > 0
			if ks[g] == 0 {
				continue
			}
			var cs float64
			c := 0
			for _, v := range p.Cells[g][j] {
				if math.IsNaN(v) {
					lb.counts.NaNScores[j]++
					lb.finiteCell[g][j] = false
					continue
				}
				cs += v
				sq += v * v
				c++
			}
			sum += cs
			n += float64(c)
			lb.images[j][g] += c
			if c > 0 {
				m := cs / float64(c)
				lb.present[j*G+g] = true
				add(l.mean(j, g), m)
				add(l.mean(j, g)+1, 1)
			}
		}
		add(l.sd(j), sum)
		add(l.sd(j)+1, sq)
		add(l.sd(j)+2, n)
		for g := range G {
			if !lb.present[j*G+g] {
				continue
			}
			for h := g + 1; h < G; h++ {
				if !lb.present[j*G+h] {
					continue
				}
				w := winShare(p.Cells[g][j], p.Cells[h][j])
				add(l.win(j, g, h), w)
				add(l.win(j, h, g), 1-w)
				add(l.win(j, g, h)+1, 1)
				add(l.win(j, h, g)+1, 1)
				s := &lb.sign[j][g*G+h]
				switch {
				case w > 0.5:
					s[0]++
				case w < 0.5:
					s[1]++
				default:
					s[2]++
				}
			}
		}
	}
	nN := len(lb.ns)
	if cap(lb.order) < maxK {
		lb.order = make([]int, maxK)
	}
	for a := range J {
		for b := range J {
			base := (a*J + b) * nN
			vs, cnt := lb.vs, lb.cnt
			clear(vs)
			clear(cnt)
			for g := range G {
				k := ks[g]
				if k == 0 {
					continue
				}
				if !lb.finiteCell[g][a] || !lb.finiteCell[g][b] {
					for ni := range nN {
						lb.bonCells[base+ni][2]++
					}
					continue
				}
				bestOfNCell(p.Cells[g][a], p.Cells[g][b], lb.ns, lb.order[:k], lb.tmp)
				for ni, n := range lb.ns {
					if n > k {
						lb.bonCells[base+ni][1]++
						continue
					}
					lb.bonCells[base+ni][0]++
					vs[ni] += lb.tmp[ni]
					cnt[ni]++
					o := ((base+ni)*G + g) * 2
					lb.bonGen[o] += lb.tmp[ni]
					lb.bonGen[o+1]++
				}
			}
			for ni := range nN {
				add(l.bon(a, b, ni), vs[ni])
				add(l.bon(a, b, ni)+1, float64(cnt[ni]))
			}
		}
	}
	return d, nil
}

// winShare is the share of pairs (x in a, y in b), NaNs skipped, with
// x > y, ties counting 1/2. Both must have a finite value.
func winShare(a, b []float64) float64 {
	var wins, n float64
	for _, x := range a {
		if math.IsNaN(x) {
			continue
		}
		for _, y := range b {
			if math.IsNaN(y) {
				continue
			}
			n++
			switch {
			case x > y:
				wins++
			case x == y:
				wins += 0.5
			}
		}
	}
	return wins / n
}

// boot is finishBootstrap, or an empty interval when no replicate is
// defined.
func (lb *leaderboard) bootOf(est float64, reps []float64, k int) BootstrapResult {
	if len(reps) == 0 {
		nan := math.NaN()
		return BootstrapResult{Estimate: est, Interval: Interval{Lo: nan, Hi: nan, Level: lb.boot.Level}, SE: nan, Clusters: k, Seed: lb.boot.Seed}
	}
	return finishBootstrap(est, reps, k, lb.boot)
}

func (lb *leaderboard) finish() (LeaderboardResult, error) {
	G, J, l := lb.lay.G, lb.lay.J, lb.lay
	R, S := lb.opts.Resamples, l.size
	tot := lb.reps[0]
	for _, r := range lb.reps[1:] {
		for i, v := range r {
			tot[i] += v
		}
	}
	lb.reps = nil
	ratio := func(o int) (float64, []float64) {
		est := lb.pt[o] / lb.pt[o+1]
		if lb.pt[o+1] == 0 {
			est = math.NaN()
		}
		reps := make([]float64, 0, R)
		for b := range R {
			if den := tot[b*S+o+1]; den > 0 {
				reps = append(reps, tot[b*S+o]/den)
			}
		}
		return est, reps
	}
	res := LeaderboardResult{
		Generators: slices.Clone(lb.opts.Generators), Judges: slices.Clone(lb.opts.Judges),
		CIMethod: "poisson-bootstrap", Resamples: R, Level: lb.opts.Level, Seed: lb.opts.Seed,
		Alpha: lb.opts.Alpha, Prior: lb.opts.Prior, Counts: lb.counts,
	}
	// betaRep[j][b] is judge j's strengths in replicate b.
	betaPt := make([][]float64, J)
	betaRep := make([][][]float64, J)
	for j := range J {
		jb := JudgeBoard{Judge: lb.opts.Judges[j]}
		for g := range G {
			est, reps := ratio(l.mean(j, g))
			n := int(lb.pt[l.mean(j, g)+1])
			jb.Means = append(jb.Means, GeneratorMean{Generator: lb.opts.Generators[g], Mean: lb.bootOf(est, reps, n), Prompts: n, Images: lb.images[j][g]})
		}
		var ps []float64
		for g := range G {
			for h := g + 1; h < G; h++ {
				s := lb.sign[j][g*G+h]
				ps = append(ps, McNemarExact(s[0], s[1]))
			}
		}
		holm, err := Holm(ps, lb.opts.Alpha)
		if err != nil {
			return LeaderboardResult{}, fmt.Errorf("leaderboard: judge %q: %w", lb.opts.Judges[j], err)
		}
		pairIdx := func(g, h int) int { // index of unordered pair g<h in ps
			return g*G - g*(g+1)/2 + (h - g - 1)
		}
		for g := range G {
			for h := range G {
				if g == h {
					continue
				}
				est, reps := ratio(l.win(j, g, h))
				n := int(lb.pt[l.win(j, g, h)+1])
				lo, hi := min(g, h), max(g, h)
				s := lb.sign[j][lo*G+hi]
				wins, losses := s[0], s[1]
				if g > h {
					wins, losses = losses, wins
				}
				k := pairIdx(lo, hi)
				jb.WinRates = append(jb.WinRates, WinRate{
					Generator: lb.opts.Generators[g], Opponent: lb.opts.Generators[h], Prompts: n,
					Rate: lb.bootOf(est, reps, n), Wins: wins, Losses: losses, Ties: s[2],
					P: ps[k], PHolm: holm.Adjusted[k], Reject: holm.Reject[k],
				})
			}
		}
		st, bp, br, err := lb.strength(j, tot)
		if err != nil {
			return LeaderboardResult{}, fmt.Errorf("leaderboard: judge %q: %w", lb.opts.Judges[j], err)
		}
		jb.Strength, betaPt[j], betaRep[j] = st, bp, br
		res.ByJudge = append(res.ByJudge, jb)
	}
	for a := range J {
		for b := a + 1; b < J; b++ {
			ag := JudgeAgreement{A: lb.opts.Judges[a], B: lb.opts.Judges[b]}
			est := math.NaN()
			if k, err := KendallTauB(betaPt[a], betaPt[b]); err == nil {
				est = k.Tau
			} else {
				ag.Note = err.Error()
			}
			var reps []float64
			for r := range R {
				if k, err := KendallTauB(betaRep[a][r], betaRep[b][r]); err == nil {
					reps = append(reps, k.Tau)
				}
			}
			ag.Tau = lb.bootOf(est, reps, lb.counts.Prompts)
			res.Agreement = append(res.Agreement, ag)
		}
	}
	lb.bestOfN(&res, tot)
	return res, nil
}

// strength fits judge j's Bradley–Terry model on the point sums and on
// every replicate.
func (lb *leaderboard) strength(j int, tot []float64) (BTStrength, []float64, [][]float64, error) {
	G, l := lb.lay.G, lb.lay
	R, S := lb.opts.Resamples, l.size
	wins := make([][]float64, G)
	for g := range wins {
		wins[g] = make([]float64, G)
	}
	fill := func(sums []float64) {
		for g := range G {
			for h := range G {
				if g != h {
					wins[g][h] = sums[l.win(j, g, h)]
				}
			}
		}
	}
	st := BTStrength{Prior: lb.opts.Prior}
	fill(lb.pt)
	pt, err := BradleyTerry(wins, 0)
	if errors.Is(err, ErrNoMLE) {
		st.Regularised = true
		pt, err = BradleyTerry(wins, lb.opts.Prior)
	}
	if err != nil {
		return BTStrength{}, nil, nil, err
	}
	reps := make([][]float64, R)
	st.RankProb = make([][]float64, G)
	for g := range G {
		st.RankProb[g] = make([]float64, G)
	}
	rank := make([]float64, G)
	for b := range R {
		fill(tot[b*S : (b+1)*S])
		var beta []float64
		if st.Regularised {
			beta, err = BradleyTerry(wins, lb.opts.Prior)
		} else {
			beta, err = BradleyTerry(wins, 0)
			if errors.Is(err, ErrNoMLE) {
				st.RegularisedReplicates++
				beta, err = BradleyTerry(wins, lb.opts.Prior)
			}
		}
		if err != nil {
			return BTStrength{}, nil, nil, fmt.Errorf("replicate %d: %w", b, err)
		}
		reps[b] = beta
		for g := range G {
			above, tied := 0, 0
			for h := range G {
				switch {
				case beta[h] > beta[g]:
					above++
				case beta[h] == beta[g]:
					tied++
				}
			}
			for r := above; r < above+tied; r++ {
				st.RankProb[g][r] += 1 / float64(tied)
			}
		}
	}
	for g := range G {
		for r := range G {
			st.RankProb[g][r] /= float64(R)
		}
		above, tied := 0, 0
		for h := range G {
			switch {
			case pt[h] > pt[g]:
				above++
			case pt[h] == pt[g]:
				tied++
			}
		}
		rank[g] = float64(above) + float64(tied+1)/2
		col := make([]float64, R)
		for b := range R {
			col[b] = reps[b][g]
		}
		st.Beta = append(st.Beta, lb.bootOf(pt[g], col, lb.counts.Prompts))
	}
	st.Rank = rank
	return st, pt, reps, nil
}

// bestOfN finishes the best-of-n values, gains, z-gains and
// over-optimisation signals.
func (lb *leaderboard) bestOfN(res *LeaderboardResult, tot []float64) {
	G, J, l := lb.lay.G, lb.lay.J, lb.lay
	R, S := lb.opts.Resamples, l.size
	nN := len(lb.ns)
	keep := nN
	if lb.defaultNs {
		keep = 0
		for keep < nN && lb.ns[keep] <= max(1, lb.counts.MaxSamples) {
			keep++
		}
	}
	res.Ns = slices.Clone(lb.ns[:keep])
	sdOf := func(s []float64, j int) float64 {
		o := l.sd(j)
		sum, sq, n := s[o], s[o+1], s[o+2]
		if n < 2 {
			return math.NaN()
		}
		m := sum / n
		return math.Sqrt(math.Max(0, (sq-n*m*m)/(n-1)))
	}
	val := func(s []float64, a, b, ni int) float64 {
		o := l.bon(a, b, ni)
		if s[o+1] == 0 {
			return math.NaN()
		}
		return s[o] / s[o+1]
	}
	zgain := func(s []float64, a, b, ni int) float64 {
		return (val(s, a, b, ni) - val(s, a, b, 0)) / sdOf(s, b)
	}
	collect := func(f func(s []float64) float64) []float64 {
		reps := make([]float64, 0, R)
		for r := range R {
			if v := f(tot[r*S : (r+1)*S]); !math.IsNaN(v) && !math.IsInf(v, 0) {
				reps = append(reps, v)
			}
		}
		return reps
	}
	for a := range J {
		for b := range J {
			for ni := range keep {
				c := lb.bonCells[(a*J+b)*nN+ni]
				br := BestOfNResult{Selector: lb.opts.Judges[a], Measure: lb.opts.Judges[b], N: lb.ns[ni],
					Cells: c[0], SkippedSmall: c[1], SkippedNaN: c[2]}
				br.Value = lb.bootOf(val(lb.pt, a, b, ni), collect(func(s []float64) float64 { return val(s, a, b, ni) }), c[0])
				gain := func(s []float64) float64 { return val(s, a, b, ni) - val(s, a, b, 0) }
				br.Gain = lb.bootOf(gain(lb.pt), collect(gain), c[0])
				zg := func(s []float64) float64 { return zgain(s, a, b, ni) }
				br.ZGain = lb.bootOf(zg(lb.pt), collect(zg), c[0])
				if a != b {
					oo := func(s []float64) float64 { return zgain(s, a, a, ni) - zgain(s, a, b, ni) }
					br.OverOpt = lb.bootOf(oo(lb.pt), collect(oo), c[0])
				} else {
					br.OverOpt = lb.bootOf(0, nil, c[0])
				}
				for g := range G {
					o := (((a*J+b)*nN+ni)*G + g) * 2
					v := math.NaN()
					if lb.bonGen[o+1] > 0 {
						v = lb.bonGen[o] / lb.bonGen[o+1]
					}
					br.ByGenerator = append(br.ByGenerator, v)
				}
				res.BestOfN = append(res.BestOfN, br)
			}
		}
	}
}
