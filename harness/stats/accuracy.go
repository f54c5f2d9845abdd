package stats

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
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
func Accuracy(pairs []Pair, pol Policy) (Result, error) {
	_, r, err := accuracyClusters(pairs, pol)
	return r, err
}

// accuracyClusters validates pairs and pol and returns the per-prompt sums
// and the accuracy.
func accuracyClusters(pairs []Pair, pol Policy) (clusterStats, Result, error) {
	if err := pol.Validate(); err != nil {
		return clusterStats{}, Result{}, err
	}
	if err := checkPairs(pairs); err != nil {
		return clusterStats{}, Result{}, err
	}
	cs := clusters(pairs, pol)
	r := cs.result(pol)
	if r.Pairs == 0 {
		return cs, r, fmt.Errorf("accuracy (%s): %d pairs, %d skipped: %w", pol, len(pairs), r.Skipped, ErrNoPairs)
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

// clusters sums credit and weight per prompt, keeping the prompts with
// counted pairs in order of first appearance.
func clusters(pairs []Pair, pol Policy) clusterStats {
	gi, ng := groups(pairs)
	credit := make([]float64, ng)
	weight := make([]float64, ng)
	var cs clusterStats
	for i, p := range pairs {
		c, ok := Credit(p, pol)
		if !ok {
			cs.skipped++
			continue
		}
		if math.Abs(p.ScoreA-p.ScoreB) <= pol.Epsilon {
			cs.predTies++
		}
		w := p.weight()
		cs.pairs++
		cs.w2 += w * w
		credit[gi[i]] += w * c
		weight[gi[i]] += w
	}
	for g := range ng {
		if weight[g] > 0 {
			cs.credit = append(cs.credit, credit[g])
			cs.weight = append(cs.weight, weight[g])
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
	pol := Policy{PredTie: PredTieWrong, LabelTie: LabelTieMatch, Averaging: avg}
	if err := pol.Validate(); err != nil {
		return TieCalibration{}, err
	}
	if err := checkPairs(pairs); err != nil {
		return TieCalibration{}, err
	}
	if len(pairs) == 0 {
		return TieCalibration{}, fmt.Errorf("tie calibration: %w", ErrNoPairs)
	}
	gi, ng := groups(pairs)
	credit := make([]float64, ng)
	weight := make([]float64, ng)
	type item struct {
		diff  float64
		g     int
		delta float64 // change of the prompt's weighted credit once a tie
	}
	items := make([]item, len(pairs))
	var credSum, wSum, macroSum float64
	for i, p := range pairs {
		w := p.weight()
		c, _ := Credit(p, pol) // epsilon 0: exact ties only
		tieCredit := 0.0
		if p.Label == LabelTie {
			tieCredit = 1
		}
		g := gi[i]
		credit[g] += w * c
		weight[g] += w
		items[i] = item{diff: math.Abs(p.ScoreA - p.ScoreB), g: g, delta: w * (tieCredit - c)}
	}
	live := 0
	for g := range ng {
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
	slices.SortFunc(items, func(a, b item) int { return cmp.Compare(a.diff, b.diff) })
	const tol = 1e-12
	bestEps, best := 0.0, value()
	cands := 1
	for i := 0; i < len(items); {
		d := items[i].diff
		for ; i < len(items) && items[i].diff == d; i++ {
			it := items[i]
			if it.delta == 0 {
				continue
			}
			if weight[it.g] > 0 {
				macroSum -= credit[it.g] / weight[it.g]
			}
			credit[it.g] += it.delta
			credSum += it.delta
			if weight[it.g] > 0 {
				macroSum += credit[it.g] / weight[it.g]
			}
		}
		if d == 0 {
			continue // the same threshold as the initial 0
		}
		cands++
		if v := value(); v > best+tol {
			best, bestEps = v, d
		}
	}
	pol.Epsilon = bestEps
	res, err := Accuracy(pairs, pol)
	if err != nil {
		return TieCalibration{}, err
	}
	return TieCalibration{Epsilon: bestEps, Result: res, Candidates: cands}, nil
}
