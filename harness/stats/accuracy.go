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

// AccuracyOf is [Accuracy] over a [Source], in one pass. Its memory is
// per prompt (a map of prompt ids), or constant when the source is grouped
// by prompt (see [Pair].Grouped).
func AccuracyOf(src Source, pol Policy) (Result, error) {
	_, r, err := accuracyClusters(src, pol, false)
	return r, err
}

// accuracyClusters validates the pairs and pol and returns the prompt sums
// and the accuracy. With keep, the per-prompt sums are returned too (the
// multinomial bootstrap needs them); without it, a grouped source keeps no
// per-prompt state.
func accuracyClusters(src Source, pol Policy, keep bool) (clusterStats, Result, error) {
	if err := pol.Validate(); err != nil {
		return clusterStats{}, Result{}, err
	}
	acc := newClusterAcc(pol)
	acc.keep = keep
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

// clusterStats holds the prompt sums under one policy.
type clusterStats struct {
	// credit and weight are per prompt, only prompts with counted pairs, in
	// order of first appearance: always for an ungrouped source, only when
	// kept for a grouped one.
	credit, weight []float64
	// Over the prompts with counted pairs, in the same order: the sums of
	// credit, of weight and of credit/weight, and their number.
	creditSum, weightSum, macroSum float64
	prompts                        int
	w2                             float64 // sum of squared weights
	pairs, skipped                 int
	predTies                       int
}

// addPrompt adds one prompt's sums (a prompt without counted pairs, weight
// 0, is left out).
func (cs *clusterStats) addPrompt(credit, weight float64, keep bool) {
	if weight <= 0 {
		return
	}
	cs.creditSum += credit
	cs.weightSum += weight
	cs.macroSum += credit / weight
	cs.prompts++
	if keep {
		cs.credit = append(cs.credit, credit)
		cs.weight = append(cs.weight, weight)
	}
}

// clusterAcc sums credit and weight per prompt, one pair at a time. The
// first pair decides the mode: an ungrouped source numbers prompts in order
// of first appearance in a map (memory per prompt); a grouped source
// (Pair.Grouped) closes a prompt when PromptID changes and keeps only the
// open prompt's sums (and the closed prompts' sums when keep is set).
type clusterAcc struct {
	pol            Policy
	keep           bool // grouped: keep per-prompt sums
	ids            map[string]int
	credit, weight []float64 // ungrouped: per prompt
	cs             clusterStats
	n              int // pairs seen

	grouped        bool
	cur            string  // grouped: the open prompt
	curCred, curWt float64 // grouped: its sums
	open, decided  bool
}

func newClusterAcc(pol Policy) *clusterAcc { return &clusterAcc{pol: pol, ids: map[string]int{}} }

// group returns the prompt's index, numbering a new prompt (ungrouped
// sources).
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
	if a.decided && p.Grouped != a.grouped {
		return fmt.Errorf("pair %d (prompt %q): field \"Grouped\": %v, want %v as on the first pair", a.n, p.PromptID, p.Grouped, a.grouped)
	}
	a.addChecked(p)
	return nil
}

func (a *clusterAcc) addChecked(p Pair) {
	if !a.decided {
		a.decided, a.grouped = true, p.Grouped
	}
	a.n++
	var g int
	if a.grouped {
		if !a.open || p.PromptID != a.cur {
			a.closePrompt()
			a.open, a.cur = true, p.PromptID
		}
	} else {
		g = a.group(p.PromptID)
	}
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
	if a.grouped {
		a.curCred += w * c
		a.curWt += w
		return
	}
	a.credit[g] += w * c
	a.weight[g] += w
}

// closePrompt adds the open prompt of a grouped source to the sums.
func (a *clusterAcc) closePrompt() {
	if a.open {
		a.cs.addPrompt(a.curCred, a.curWt, a.keep)
	}
	a.open, a.curCred, a.curWt = false, 0, 0
}

// finish returns the sums of the prompts with counted pairs, in order of
// first appearance.
func (a *clusterAcc) finish() clusterStats {
	if a.grouped {
		a.closePrompt()
		return a.cs
	}
	cs := a.cs
	for g := range a.credit {
		cs.addPrompt(a.credit[g], a.weight[g], true)
	}
	return cs
}

func (cs clusterStats) result(pol Policy) Result {
	r := Result{Policy: pol, Pairs: cs.pairs, Skipped: cs.skipped, PredictedTies: cs.predTies, Prompts: cs.prompts,
		Credit: cs.creditSum, Weight: cs.weightSum}
	if r.Weight > 0 {
		r.EffectiveN = r.Weight * r.Weight / cs.w2
	}
	r.Accuracy = cs.estimate(pol.Averaging)
	return r
}

// estimate is the accuracy of all prompts; NaN when nothing counts.
func (cs clusterStats) estimate(avg Averaging) float64 {
	if cs.prompts == 0 {
		return math.NaN()
	}
	if avg == Macro {
		return cs.macroSum / float64(cs.prompts)
	}
	return cs.creditSum / cs.weightSum
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
// sweep's sort spilled to disk as sp says. Its memory is per prompt (a map
// of prompt ids and two sums), except for a grouped source (see
// [Pair].Grouped): none with micro averaging, two sums per prompt with
// macro.
func TieCalibrateOf(src Source, avg Averaging, sp Spill) (TieCalibration, error) {
	pol := Policy{PredTie: PredTieWrong, LabelTie: LabelTieMatch, Averaging: avg}
	if err := pol.Validate(); err != nil {
		return TieCalibration{}, err
	}
	sorter := newSorter(sp, func(a, b tieItem) int { return cmp.Compare(a.diff, b.diff) }, tieItemCodec(), nil)
	defer sorter.Close()
	// Per prompt credit and weight: ungrouped sources number prompts in a
	// map; a grouped source (Pair.Grouped) numbers them as they come and
	// needs the arrays only for macro averaging (micro moves the totals).
	acc := newClusterAcc(pol)
	var credit, weight []float64
	var credSum, wSum, macroSum float64
	live := 0
	grouped, first, g := false, true, -1
	var curID string
	var curC, curW float64
	closePrompt := func() {
		if g < 0 {
			return
		}
		credSum += curC
		wSum += curW
		if curW > 0 {
			macroSum += curC / curW
			live++
		}
		if avg == Macro {
			credit = append(credit, curC)
			weight = append(weight, curW)
		}
	}
	err := src(func(p Pair) error {
		if err := p.check(acc.n); err != nil {
			return err
		}
		if first {
			grouped, first = p.Grouped, false
		} else if p.Grouped != grouped {
			return fmt.Errorf("tie calibration: pair %d (prompt %q): field \"Grouped\": %v, want %v as on the first pair", acc.n, p.PromptID, p.Grouped, grouped)
		}
		w := p.weight()
		c, _ := Credit(p, pol) // epsilon 0: exact ties only
		tieCredit := 0.0
		if p.Label == LabelTie {
			tieCredit = 1
		}
		acc.n++
		if grouped {
			if g < 0 || p.PromptID != curID {
				closePrompt()
				g, curID, curC, curW = g+1, p.PromptID, 0, 0
			}
			curC += w * c
			curW += w
		} else {
			g = acc.group(p.PromptID)
			acc.credit[g] += w * c
			acc.weight[g] += w
		}
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
	if grouped {
		closePrompt()
	} else {
		credit, weight = acc.credit, acc.weight
		for g := range credit {
			credSum += credit[g]
			wSum += weight[g]
			if weight[g] > 0 {
				macroSum += credit[g] / weight[g]
				live++
			}
		}
	}
	acc = nil
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
		credSum += it.delta
		if avg != Macro {
			return nil // micro needs only the totals
		}
		g := it.g
		if weight[g] > 0 {
			macroSum -= credit[g] / weight[g]
		}
		credit[g] += it.delta
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
