package stats

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// BootstrapOptions configures Bootstrap and PairedBootstrap. The zero value
// is 1000 resamples, a 95% interval and seed 0.
type BootstrapOptions struct {
	B     int     // number of resamples; 0 means 1000
	Level float64 // confidence level; 0 means 0.95
	// Seed seeds the PCG generator (math/rand/v2, stream pcgStream), so a
	// result is reproducible from (data, policy, B, Seed).
	Seed uint64
}

// pcgStream is the fixed second PCG seed word.
const pcgStream = 0x7372626e63682d62 // "srbnch-b"

func (o BootstrapOptions) withDefaults() (BootstrapOptions, error) {
	if o.B == 0 {
		o.B = 1000
	}
	if o.Level == 0 {
		o.Level = 0.95
	}
	if o.B < 2 {
		return o, fmt.Errorf("bootstrap: field \"B\": %d, want >= 2 (or 0 for 1000)", o.B)
	}
	if err := checkLevel(o.Level); err != nil {
		return o, fmt.Errorf("bootstrap: field \"Level\": %w", err)
	}
	return o, nil
}

// BootstrapResult is a percentile bootstrap interval.
type BootstrapResult struct {
	Estimate float64  // the statistic on the full data
	Interval Interval // percentile interval of the replicates
	SE       float64  // standard deviation of the replicates (n-1 denominator)
	B        int      // resamples drawn
	Clusters int      // prompts resampled (those with counted pairs)
	Seed     uint64
	// Replicates are the B bootstrap values, sorted ascending.
	Replicates []float64
}

// Bootstrap is a cluster bootstrap of the accuracy under pol: each of B
// resamples draws, with replacement, as many prompts as there are prompts
// with counted pairs, and recomputes the accuracy (micro: pooled credit over
// pooled weight of the drawn prompts, a prompt drawn twice counting twice;
// macro: the mean of the drawn prompts' accuracies). Resampling prompts
// rather than pairs keeps the correlation of pairs sharing a prompt, so the
// interval is honest when a prompt contributes many pairs. The interval is
// the percentile interval: the empirical (inverse-CDF) quantiles of the
// replicates at (1-Level)/2 and (1+Level)/2, via gonum stat.Quantile.
// Cost: O(len(pairs) + B·prompts).
func Bootstrap(pairs []Pair, pol Policy, opts BootstrapOptions) (BootstrapResult, error) {
	return BootstrapOf(Slice(pairs), pol, opts)
}

// BootstrapOf is [Bootstrap] over a [Source], in one pass.
func BootstrapOf(src Source, pol Policy, opts BootstrapOptions) (BootstrapResult, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return BootstrapResult{}, err
	}
	cs, res, err := accuracyClusters(src, pol, true)
	if err != nil {
		return BootstrapResult{}, fmt.Errorf("bootstrap: %w", err)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, pcgStream))
	rs := cs.resampler(pol.Averaging)
	reps := make([]float64, opts.B)
	for b := range reps {
		reps[b] = rs.draw(rng, nil)
	}
	return finishBootstrap(res.Accuracy, reps, len(cs.credit), opts), nil
}

// resampler evaluates the accuracy of resampled prompts.
type resampler struct {
	macro bool
	cw    []float64 // micro: credit and weight interleaved per prompt
	acc   []float64 // macro: accuracy per prompt
}

func (cs clusterStats) resampler(avg Averaging) resampler {
	k := len(cs.credit)
	if avg == Macro {
		acc := make([]float64, k)
		for g := range acc {
			acc[g] = cs.credit[g] / cs.weight[g]
		}
		return resampler{macro: true, acc: acc}
	}
	cw := make([]float64, 2*k)
	for g := range k {
		cw[2*g], cw[2*g+1] = cs.credit[g], cs.weight[g]
	}
	return resampler{cw: cw}
}

// draw resamples the prompts with replacement and returns the accuracy of
// the resample. The prompt indices are drawn from rng and, when idx is
// non-nil, stored in idx; with a nil rng they are read from idx instead, so
// a second scorer can be evaluated on the same resample.
func (r resampler) draw(rng *rand.Rand, idx []int) float64 {
	if r.macro {
		k := len(r.acc)
		var s float64
		for i := range k {
			s += r.acc[pick(rng, idx, i, k)]
		}
		return s / float64(k)
	}
	k := len(r.cw) / 2
	var num, den float64
	for i := range k {
		g := pick(rng, idx, i, k)
		num += r.cw[2*g]
		den += r.cw[2*g+1]
	}
	return num / den
}

func pick(rng *rand.Rand, idx []int, i, k int) int {
	if rng == nil {
		return idx[i]
	}
	g := rng.IntN(k)
	if idx != nil {
		idx[i] = g
	}
	return g
}

func finishBootstrap(est float64, reps []float64, k int, opts BootstrapOptions) BootstrapResult {
	slices.Sort(reps)
	a := (1 - opts.Level) / 2
	return BootstrapResult{
		Estimate: est,
		Interval: Interval{
			Lo:    stat.Quantile(a, stat.Empirical, reps, nil),
			Hi:    stat.Quantile(1-a, stat.Empirical, reps, nil),
			Level: opts.Level,
		},
		SE:         stat.StdDev(reps, nil),
		B:          len(reps),
		Clusters:   k,
		Seed:       opts.Seed,
		Replicates: reps,
	}
}

// PairedBootstrap is the cluster bootstrap (see Bootstrap) of the accuracy
// difference acc(a) - acc(b) of two scorers on the same pairs (a[i] and b[i]
// are the same pair: same PromptID, Label and Weight). Each resample draws
// one set of prompts and evaluates both scorers on it, so the interval
// accounts for the pairing; an interval excluding 0 means a difference at
// that level.
func PairedBootstrap(a, b []Pair, pol Policy, opts BootstrapOptions) (BootstrapResult, error) {
	return PairedBootstrapOf(PairedSlices(a, b), pol, opts)
}

// pairedClusters validates a paired source and sums both scorers' credit
// per prompt in one pass (the prompts and skipped pairs are the same for
// both, since they depend only on the pair).
func pairedClusters(ps PairedSource, pol Policy) (ca, cb clusterStats, ra, rb Result, err error) {
	if err := pol.Validate(); err != nil {
		return ca, cb, ra, rb, err
	}
	accA, accB := newClusterAcc(pol), newClusterAcc(pol)
	accA.keep, accB.keep = true, true
	err = ps(func(a, b Pair) error {
		if err := checkRow(accA.n, a, b); err != nil {
			return err
		}
		accA.addChecked(a)
		accB.addChecked(b)
		return nil
	})
	if err != nil {
		return ca, cb, ra, rb, err
	}
	ca, cb = accA.finish(), accB.finish()
	ra, rb = ca.result(pol), cb.result(pol)
	if ra.Pairs == 0 {
		return ca, cb, ra, rb, fmt.Errorf("accuracy (%s): %d pairs, %d skipped: %w", pol, accA.n, ra.Skipped, ErrNoPairs)
	}
	return ca, cb, ra, rb, nil
}

// PairedBootstrapOf is [PairedBootstrap] over a [PairedSource], in one
// pass.
func PairedBootstrapOf(ps PairedSource, pol Policy, opts BootstrapOptions) (BootstrapResult, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return BootstrapResult{}, err
	}
	ca, cb, ra, rb, err := pairedClusters(ps, pol)
	if err != nil {
		return BootstrapResult{}, fmt.Errorf("paired bootstrap: %w", err)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, pcgStream))
	k := len(ca.credit)
	sa, sb := ca.resampler(pol.Averaging), cb.resampler(pol.Averaging)
	idx := make([]int, k)
	reps := make([]float64, opts.B)
	for r := range reps {
		reps[r] = sa.draw(rng, idx) - sb.draw(nil, idx)
	}
	return finishBootstrap(ra.Accuracy-rb.Accuracy, reps, k, opts), nil
}
