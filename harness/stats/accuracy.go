package stats

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/srbench/srbench/harness/internal/extsort"
)

// ErrNoPairs is returned (wrapped) when no pair counts towards an accuracy,
// e.g. an empty input or only label ties under LabelTieSkip.
var ErrNoPairs = errors.New("no pairs count towards the accuracy")

// Result is a pairwise accuracy and the counts behind it.
type Result struct {
	Policy   Policy
	Accuracy float64 // micro or macro, per Policy.Averaging
	// Credit and Weight are sum(w*credit) and sum(w) over counted pairs, so
	// Credit/Weight is the micro accuracy whatever the averaging.
	Credit, Weight float64
	// EffectiveN is Kish's effective sample size (sum w)^2/sum(w^2); it
	// equals Pairs when all weights are 1.
	EffectiveN    float64
	Pairs         int // pairs counted
	Skipped       int // label ties left out (LabelTieSkip)
	PredictedTies int // counted pairs whose prediction is a tie
	Prompts       int // prompts with at least one counted pair
}

// Accuracy computes pairwise accuracy under pol. It returns an error naming
// the pair for invalid input, and ErrNoPairs (wrapped) when nothing counts.
func Accuracy(pairs []Pair, pol Policy) (Result, error) { return AccuracyOf(Slice(pairs), pol) }

// AccuracyOf is [Accuracy] over a [Source], in one pass.
func AccuracyOf(src Source, pol Policy) (Result, error) {
	_, r, err := accuracyClusters(src, pol)
	return r, err
}

// accuracyClusters validates the pairs and pol and returns the per-prompt
// sums and the accuracy.
func accuracyClusters(src Source, pol Policy) (clusterStats, Result, error) {
	if err := pol.Validate(); err != nil {
		return clusterStats{}, Result{}, err
	}
	acc := newClusterAcc(pol)
	if err := src(acc.add); err != nil {
		return clusterStats{}, Result{}, err
	}
	cs := acc.finish()
	r := cs.result(pol)
	if r.Pairs == 0 {
		return cs, r, fmt.Errorf("accuracy (%s): %d pairs, %d skipped: %w", pol, acc.n, r.Skipped, ErrNoPairs)
	}
	return cs, r, nil
}

// clusterStats holds per-prompt sums under one policy.
type clusterStats struct {
	credit, weight []float64 // per prompt, only prompts with counted pairs
	w2             float64   // sum of squared weights
	pairs, skipped int
	predTies       int
}

// clusterAcc sums credit and weight per prompt, one pair at a time,
// numbering prompts in order of first appearance. Its memory is per prompt.
type clusterAcc struct {
	pol            Policy
	ids            map[string]int
	credit, weight []float64
	cs             clusterStats
	n              int // pairs seen
}

func newClusterAcc(pol Policy) *clusterAcc { return &clusterAcc{pol: pol, ids: map[string]int{}} }

// group returns the prompt's index, numbering a new prompt.
func (a *clusterAcc) group(id string) int {
	g, ok := a.ids[id]
	if !ok {
		g = len(a.ids)
		a.ids[id] = g
		a.credit = append(a.credit, 0)
		a.weight = append(a.weight, 0)
	}
	return g
}

// add validates p and adds it.
func (a *clusterAcc) add(p Pair) error {
	if err := p.check(a.n); err != nil {
		return err
	}
	a.addChecked(p)
	return nil
}

func (a *clusterAcc) addChecked(p Pair) {
	a.n++
	g := a.group(p.PromptID)
	c, ok := Credit(p, a.pol)
	if !ok {
		a.cs.skipped++
		return
	}
	if math.Abs(p.ScoreA-p.ScoreB) <= a.pol.Epsilon {
		a.cs.predTies++
	}
	w := p.weight()
	a.cs.pairs++
	a.cs.w2 += w * w
	a.credit[g] += w * c
	a.weight[g] += w
}

// finish keeps the prompts with counted pairs, in order of first appearance.
func (a *clusterAcc) finish() clusterStats {
	cs := a.cs
	for g := range a.credit {
		if a.weight[g] > 0 {
			cs.credit = append(cs.credit, a.credit[g])
			cs.weight = append(cs.weight, a.weight[g])
		}
	}
	return cs
}

func (cs clusterStats) result(pol Policy) Result {
	r := Result{Policy: pol, Pairs: cs.pairs, Skipped: cs.skipped, PredictedTies: cs.predTies, Prompts: len(cs.credit)}
	for g := range cs.credit {
		r.Credit += cs.credit[g]
		r.Weight += cs.weight[g]
	}
	if r.Weight > 0 {
		r.EffectiveN = r.Weight * r.Weight / cs.w2
	}
	r.Accuracy = cs.estimate(pol.Averaging)
	return r
}

// estimate is the accuracy of all prompts; NaN when nothing counts.
func (cs clusterStats) estimate(avg Averaging) float64 {
	var num, den float64
	for g := range cs.credit {
		if avg == Macro {
			num += cs.credit[g] / cs.weight[g]
			den++
		} else {
			num += cs.credit[g]
			den += cs.weight[g]
		}
	}
	if den == 0 {
		return math.NaN()
	}
	return num / den
}

// Wilson returns the Wilson score interval of the micro accuracy at the
// given level (e.g. 0.95). Half credits make the number of successes
// fractional, which the formula accepts (as statsmodels does). With unequal
// weights the interval uses Kish's effective sample size: n = EffectiveN and
// successes = Credit*EffectiveN/Weight. It is an error for macro accuracy
// (use Bootstrap) and when nothing was counted.
func (r Result) Wilson(level float64) (Interval, error) {
	if r.Policy.Averaging != Micro {
		return Interval{}, fmt.Errorf("wilson interval: averaging %s: the interval is for micro accuracy; use Bootstrap for macro", r.Policy.Averaging)
	}
	if r.Weight <= 0 {
		return Interval{}, fmt.Errorf("wilson interval: %w", ErrNoPairs)
	}
	n, s := r.Weight, r.Credit
	if r.EffectiveN != r.Weight {
		n, s = r.EffectiveN, r.Credit*r.EffectiveN/r.Weight
	}
	return Wilson(s, n, level)
}

// TieCalibration is the result of TieCalibrate.
type TieCalibration struct {
	// Epsilon is the smallest threshold reaching the best accuracy.
	Epsilon float64
	// Result is the accuracy at Epsilon under Policy{PredTieWrong,
	// LabelTieMatch, averaging, Epsilon}, recomputed directly.
	Result Result
	// Candidates is the number of distinct thresholds searched.
	Candidates int
}

// TieCalibrate performs the tie calibration of Deutsch, Foster and Freitag
// (2023), "Ties Matter: Meta-Evaluating Modern Metrics with Pairwise Accuracy
// and Tie Calibration": it finds the epsilon maximising acc_23 (a label tie
// earns 1 only when the prediction is a tie, |ScoreA-ScoreB| <= epsilon; a
// predicted tie on an A/B label earns 0) over the candidates 0 and every
// distinct |ScoreA-ScoreB|, which contain an exact optimum because accuracy
// only changes at those values. The search is one sweep over the pairs
// sorted by |difference| (O(n log n)), as in mt-metrics-eval's
// tau_optimization; with Macro averaging prompts play the role of its rows.
// Among equally good thresholds (within 1e-12) the smallest wins. Calibrate
// on a validation split and apply the returned Epsilon to the test split;
// the accuracy on the calibration data itself is optimistic.
func TieCalibrate(pairs []Pair, avg Averaging) (TieCalibration, error) {
	return TieCalibrateOf(Slice(pairs), avg, Spill{})
}

// tieItem is one pair in the tie-calibration sweep.
type tieItem struct {
	diff  float64 // |ScoreA - ScoreB|
	g     uint32  // prompt index
	delta float64 // change of the prompt's weighted credit once a tie
}

func tieItemCodec() extsort.Codec[tieItem] {
	return extsort.Codec[tieItem]{Size: 20,
		Put: func(b []byte, it tieItem) {
			extsort.PutFloat64(b, it.diff)
			binary.LittleEndian.PutUint32(b[8:], it.g)
			extsort.PutFloat64(b[12:], it.delta)
		},
		Get: func(b []byte) tieItem {
			return tieItem{diff: extsort.Float64At(b), g: binary.LittleEndian.Uint32(b[8:]), delta: extsort.Float64At(b[12:])}
		},
	}
}

// TieCalibrateOf is [TieCalibrate] over a [Source]: two passes, with the
// sweep's sort spilled to disk as sp says.
func TieCalibrateOf(src Source, avg Averaging, sp Spill) (TieCalibration, error) {
	pol := Policy{PredTie: PredTieWrong, LabelTie: LabelTieMatch, Averaging: avg}
	if err := pol.Validate(); err != nil {
		return TieCalibration{}, err
	}
	sorter := newSorter(sp, func(a, b tieItem) int { return cmp.Compare(a.diff, b.diff) }, tieItemCodec(), nil)
	defer sorter.Close()
	acc := newClusterAcc(pol)
	err := src(func(p Pair) error {
		if err := p.check(acc.n); err != nil {
			return err
		}
		w := p.weight()
		c, _ := Credit(p, pol) // epsilon 0: exact ties only
		tieCredit := 0.0
		if p.Label == LabelTie {
			tieCredit = 1
		}
		g := acc.group(p.PromptID)
		acc.n++
		acc.credit[g] += w * c
		acc.weight[g] += w
		if g > math.MaxUint32 {
			return fmt.Errorf("tie calibration: more than %d prompts", uint32(math.MaxUint32))
		}
		return sorter.Add(tieItem{diff: math.Abs(p.ScoreA - p.ScoreB), g: uint32(g), delta: w * (tieCredit - c)})
	})
	if err != nil {
		return TieCalibration{}, err
	}
	if acc.n == 0 {
		return TieCalibration{}, fmt.Errorf("tie calibration: %w", ErrNoPairs)
	}
	credit, weight := acc.credit, acc.weight
	var credSum, wSum, macroSum float64
	live := 0
	for g := range credit {
		credSum += credit[g]
		wSum += weight[g]
		if weight[g] > 0 {
			macroSum += credit[g] / weight[g]
			live++
		}
	}
	if wSum == 0 {
		return TieCalibration{}, fmt.Errorf("tie calibration: all weights are 0: %w", ErrNoPairs)
	}
	value := func() float64 {
		if avg == Macro {
			return macroSum / float64(live)
		}
		return credSum / wSum
	}
	// Sweep the thresholds in increasing order: all pairs at one |diff|
	// become ties together, then the threshold is evaluated.
	const tol = 1e-12
	bestEps, best := 0.0, value()
	cands := 1
	started, cur := false, 0.0
	evaluate := func() {
		if !started || cur == 0 {
			return // 0 is the initial threshold
		}
		cands++
		if v := value(); v > best+tol {
			best, bestEps = v, cur
		}
	}
	err = sorter.Merge(func(it tieItem, _ int) error {
		if started && it.diff != cur {
			evaluate()
		}
		started, cur = true, it.diff
		if it.delta == 0 {
			return nil
		}
		g := it.g
		if weight[g] > 0 {
			macroSum -= credit[g] / weight[g]
		}
		credit[g] += it.delta
		credSum += it.delta
		if weight[g] > 0 {
			macroSum += credit[g] / weight[g]
		}
		return nil
	})
	if err != nil {
		return TieCalibration{}, err
	}
	evaluate()
	pol.Epsilon = bestEps
	res, err := AccuracyOf(src, pol)
	if err != nil {
		return TieCalibration{}, err
	}
	return TieCalibration{Epsilon: bestEps, Result: res, Candidates: cands}, nil
}
