package bench

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"path/filepath"
	"strings"

	"github.com/srbench/srbench/harness/internal/extsort"
	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/harness/stats"
)

// AnalyzeOptions choose how samples become statistics. The zero value is the
// default: the srbench policy (a predicted tie earns half credit, label ties
// skipped, micro average), B = 1000 prompt-bootstrap resamples,
// seed 0, alpha 0.05, 10 calibration bins, 4 strength bins.
type AnalyzeOptions struct {
	// Policy is the counting rule; PolicyName its name for the record.
	Policy     stats.Policy
	PolicyName string
	// PolicySet is true when Policy was chosen (otherwise the default applies).
	PolicySet bool
	B         int
	Seed      uint64
	Alpha     float64
	CalibBins int
	// StrengthBins is the number of label-strength quantile bins.
	StrengthBins int
	// PoissonFrom is the number of prompts from which the intervals are a
	// Poisson bootstrap; 0 means results.PoissonBootstrapPrompts.
	PoissonFrom int
}

// DefaultPolicyName is the policy used when none is given: srbench's own
// preset, where a predicted tie earns half credit (see stats.ParsePolicy),
// so a scorer that ties every pair gets 50% rather than Social Reward's 100%.
const DefaultPolicyName = "srbench"

func (o AnalyzeOptions) withDefaults() AnalyzeOptions {
	if !o.PolicySet {
		o.Policy, _ = stats.ParsePolicy(DefaultPolicyName)
		o.PolicyName = DefaultPolicyName
	}
	if o.PolicyName == "" {
		o.PolicyName = o.Policy.String()
	}
	if o.B == 0 {
		o.B = 1000
	}
	if o.Alpha == 0 {
		o.Alpha = 0.05
	}
	if o.CalibBins == 0 {
		o.CalibBins = 10
	}
	if o.StrengthBins == 0 {
		o.StrengthBins = 4
	}
	if o.PoissonFrom == 0 {
		o.PoissonFrom = results.PoissonBootstrapPrompts
	}
	return o
}

func statsLabel(l string) (stats.Label, error) {
	switch l {
	case "a":
		return stats.LabelA, nil
	case "b":
		return stats.LabelB, nil
	case "tie":
		return stats.LabelTie, nil
	}
	return 0, fmt.Errorf("field \"label\": %q, want a, b or tie", l)
}

// Analyze recomputes every statistic of res from the run directory's
// samples.jsonl, in place. The identity fields of res (scorers, dataset,
// provenance) are kept; the numbers are replaced.
func Analyze(runDir string, res *results.Results, opts AnalyzeOptions) error {
	opts = opts.withDefaults()
	if err := opts.Policy.Validate(); err != nil {
		return err
	}
	if !(opts.Alpha > 0 && opts.Alpha < 1) {
		return fmt.Errorf("alpha %v (--alpha, alpha): want a level between 0 and 1, e.g. 0.05", opts.Alpha)
	}
	names := make([]string, len(res.Scorers))
	for i, s := range res.Scorers {
		names[i] = s.Name
	}
	// One pass over samples.jsonl re-encodes the pairs as binary rows in a
	// scratch file; every statistic then streams from it. Below
	// opts.PoissonFrom prompts memory grows with the number of prompts (their
	// ids, per-prompt sums), not pairs; from there on the rows are sorted by
	// prompt and the statistics keep no per-prompt state.
	sc, err := newScratch(runDir, len(names), opts.PoissonFrom)
	if err != nil {
		return fmt.Errorf("analyze %s: %w", runDir, err)
	}
	defer sc.close()
	failed := make([]int, len(names))
	reasons := make([]map[string]int, len(names))
	for i := range reasons {
		reasons[i] = map[string]int{}
	}
	common := make([][]int, len(names)) // pairs both scorers i < j scored
	for i := range common {
		common[i] = make([]int, len(names))
	}
	nTies, nA, nB := 0, 0, 0
	examples := make([][]string, len(names))
	seenReason := make([]map[string]bool, len(names))
	for i := range seenReason {
		seenReason[i] = map[string]bool{}
	}
	hasStrength := false
	row := make([]scored, len(names))
	// Pair ids, hashed, sorted on disk: duplicates are counted in memory
	// that does not grow with the number of pairs.
	ids := extsort.New(cmp.Compare[uint64], extsort.Codec[uint64]{Size: 8,
		Put: func(b []byte, v uint64) { binary.LittleEndian.PutUint64(b, v) },
		Get: func(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }}, extsort.Options[uint64]{Dir: runDir})
	defer ids.Close()
	err = results.ReadSamples(filepath.Join(runDir, results.SamplesFile), func(s results.Sample) error {
		if err := ids.Add(idHash(s.ID)); err != nil {
			return err
		}
		l, err := statsLabel(s.Label)
		if err != nil {
			return err
		}
		switch l {
		case stats.LabelTie:
			nTies++
		case stats.LabelA:
			nA++
		case stats.LabelB:
			nB++
		}
		strength := math.NaN()
		if s.Strength != nil {
			strength = *s.Strength
			hasStrength = true
		}
		for i, n := range names {
			x, found := s.Scores[n]
			switch {
			case !found:
				return fmt.Errorf("sample %d has no scores for scorer %q", s.Index, n)
			case x.Error != "":
				row[i] = scored{}
				failed[i]++
				key := reasonKey(x.Error)
				reasons[i][key]++
				if len(examples[i]) < maxFailureExamples && !seenReason[i][key] {
					seenReason[i][key] = true
					examples[i] = append(examples[i], fmt.Sprintf("pair %q: %s", s.ID, x.Error))
				}
			default:
				row[i] = scored{ok: true, a: x.A, b: x.B}
			}
		}
		for i := range row {
			for j := i + 1; j < len(row); j++ {
				if row[i].ok && row[j].ok {
					common[i][j]++
				}
			}
		}
		return sc.add(s.PromptID, l, s.Weight, strength, row)
	})
	if err != nil {
		return err
	}
	if err := sc.finish(); err != nil {
		return fmt.Errorf("analyze %s: %w", runDir, err)
	}
	res.Dataset.NPairs = sc.rows
	res.Dataset.NPrompts = sc.nPrompts
	res.Dataset.NLabelTies, res.Dataset.NLabelA, res.Dataset.NLabelB = nTies, nA, nB
	if res.Dataset.NDuplicateIDs, res.Dataset.DuplicateIDs, err = duplicateIDs(runDir, ids); err != nil {
		return fmt.Errorf("analyze %s: %w", runDir, err)
	}
	res.Dataset.HasStrength = hasStrength
	res.Policy = results.Policy{
		Name: opts.PolicyName, PredictionTies: opts.Policy.PredTie.String(), LabelTies: opts.Policy.LabelTie.String(),
		Averaging: opts.Policy.Averaging.String(), Epsilon: opts.Policy.Epsilon, Alpha: opts.Alpha,
	}
	bopts := stats.BootstrapOptions{B: opts.B, Seed: opts.Seed}
	res.Bootstrap = results.BootstrapCfg{B: opts.B, Seed: opts.Seed, Level: 0.95, Unit: "prompt"}
	spill := stats.Spill{Dir: runDir}
	// From PoissonBootstrapPrompts prompts on, every interval comes from one
	// streaming Poisson bootstrap pass over the rows grouped by prompt.
	var pb *poissonIntervals
	if sc.grouped {
		res.Bootstrap.Method = results.CIPoissonBootstrap
		if pb, err = poissonPass(sc, failed, opts, bopts); err != nil {
			return fmt.Errorf("analyze %s: %w", runDir, err)
		}
	}

	for i := range res.Scorers {
		sr := &res.Scorers[i]
		sr.NFailed, sr.FailureReasons, sr.FailureExamples = failed[i], nil, examples[i]
		if failed[i] > 0 {
			sr.FailureReasons = reasons[i]
		}
		var bs *stats.BootstrapResult
		if pb != nil {
			bs = pb.scorer[i]
		}
		if err := fillScorer(sr, sc.source(i), bs, opts, bopts, spill); err != nil {
			return fmt.Errorf("scorer %q: %w", sr.Name, err)
		}
	}

	// Paired comparisons and agreement on the pairs both scorers scored.
	res.Comparisons, res.Agreement = nil, nil
	var pvals []float64
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			n := common[i][j]
			c := results.Comparison{A: names[i], B: names[j], NPairs: n, PMcNemar: 1}
			if n == 0 {
				c.Note = "no pair was scored by both"
			}
			ag := results.AgreementEntry{A: names[i], B: names[j], N: n}
			if n > 0 {
				ps := sc.paired(i, j)
				a := func(visit func(stats.Pair) error) error {
					return ps(func(a, _ stats.Pair) error { return visit(a) })
				}
				b := func(visit func(stats.Pair) error) error {
					return ps(func(_, b stats.Pair) error { return visit(b) })
				}
				if ra, err := stats.AccuracyOf(a, opts.Policy); err == nil {
					c.AccA = ra.Accuracy
				}
				if rb, err := stats.AccuracyOf(b, opts.Policy); err == nil {
					c.AccB = rb.Accuracy
				}
				c.Diff = c.AccA - c.AccB
				m, err := stats.McNemarOf(ps, opts.Policy)
				switch {
				case errors.Is(err, stats.ErrNoPairs):
					c.Note = "no pair that both scored counts under the policy (all have tied labels)"
				case err != nil:
					return fmt.Errorf("comparison %s vs %s: %w", names[i], names[j], err)
				default:
					c.AWins, c.BWins, c.PMcNemar = m.AWins, m.BWins, m.P
					var bs *stats.BootstrapResult
					if pb != nil {
						bs = pb.diff[[2]int{i, j}]
					}
					if err := comparisonInterval(&c, ps, bs, m, opts, bopts); err != nil {
						return fmt.Errorf("comparison %s vs %s: %w", names[i], names[j], err)
					}
				}
				if g, err := stats.AgreementOf(ps, spill); err == nil {
					ag.KendallTauB, ag.PKendall, ag.SameShare = g.Kendall.Tau, g.Kendall.P, g.SameShare
				}
			}
			pvals = append(pvals, c.PMcNemar)
			res.Comparisons = append(res.Comparisons, c)
			res.Agreement = append(res.Agreement, ag)
		}
	}
	if len(pvals) > 0 {
		h, err := stats.Holm(pvals, opts.Alpha)
		if err != nil {
			return err
		}
		for k := range res.Comparisons {
			c := &res.Comparisons[k]
			c.PHolm = h.Adjusted[k]
			c.Significant = h.Reject[k]
			if c.Significant && c.CI95[0] <= 0 && c.CI95[1] >= 0 {
				c.Note = "borderline: significant by the McNemar test, but the interval includes 0; the test counts discordant pairs, the interval resamples prompts"
			}
		}
	}
	res.Warnings = warnings(res)
	return nil
}

// idHash is FNV-1a (64 bit) of a pair id.
func idHash(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

// maxDuplicateExamples is how many duplicated pair ids are named.
const maxDuplicateExamples = 5

// duplicateIDs counts the pairs whose id an earlier pair already had (from
// the sorted id hashes) and names a few of the ids (a second pass over the
// samples, only when there are duplicates).
func duplicateIDs(runDir string, ids *extsort.Sorter[uint64]) (int, []string, error) {
	extra := 0
	dup := map[uint64]bool{}
	var prev uint64
	first := true
	err := ids.Merge(func(h uint64, _ int) error {
		if !first && h == prev {
			extra++
			if len(dup) < maxDuplicateExamples {
				dup[h] = true
			}
		}
		prev, first = h, false
		return nil
	})
	if err != nil || extra == 0 {
		return extra, nil, err
	}
	var names []string
	err = results.ReadSamples(filepath.Join(runDir, results.SamplesFile), func(s results.Sample) error {
		if h := idHash(s.ID); dup[h] {
			names = append(names, s.ID)
			delete(dup, h)
		}
		return nil
	})
	return extra, names, err
}

// maxFailureExamples is how many distinct failure messages a scorer keeps.
const maxFailureExamples = 3

// comparisonInterval sets c's interval: the paired prompt bootstrap, or
// with fewer than results.MinBootstrapPrompts prompts the exact interval of
// the discordant-pair difference, which inverts the McNemar test.
// With pbs (a Poisson bootstrap, nil when there was none or it had no
// counted pairs) the interval is that bootstrap's.
func comparisonInterval(c *results.Comparison, ps stats.PairedSource, pbs *stats.BootstrapResult, m stats.McNemarResult, opts AnalyzeOptions, bopts stats.BootstrapOptions) error {
	if pbs != nil && pbs.Clusters >= results.MinBootstrapPrompts {
		c.CI95, c.CIMethod = [2]float64{pbs.Interval.Lo, pbs.Interval.Hi}, results.CIPoissonBootstrap
		return nil
	}
	if pbs == nil {
		bs, err := stats.PairedBootstrapOf(ps, opts.Policy, bopts)
		if err != nil && !errors.Is(err, stats.ErrNoPairs) {
			return err
		}
		if err == nil && bs.Clusters >= results.MinBootstrapPrompts {
			c.CI95, c.CIMethod = [2]float64{bs.Interval.Lo, bs.Interval.Hi}, results.CIBootstrap
			return nil
		}
	}
	iv, err := stats.ExactPairedDifference(m.AWins, m.BWins, m.AWins+m.BWins+m.Equal, 0.95)
	if err != nil {
		return err
	}
	c.CI95, c.CIMethod = [2]float64{iv.Lo, iv.Hi}, results.CIExact
	return nil
}

// warnings lists what a reader of res must know before trusting a number.
func warnings(res *results.Results) []results.Warning {
	var ws []results.Warning
	d := res.Dataset
	for _, w := range d.Warnings {
		ws = append(ws, results.Warning{Kind: results.WarnDataset, Message: "dataset: " + w})
	}
	if d.NDuplicateIDs > 0 {
		ws = append(ws, results.Warning{Kind: results.WarnDuplicateIDs, Message: fmt.Sprintf(
			"%d pairs repeat the id of an earlier pair (e.g. %q): each copy is scored and counted, so those pairs weigh more; remove the copies or give them distinct ids",
			d.NDuplicateIDs, strings.Join(d.DuplicateIDs, `", "`))})
	}
	if ab := d.NLabelA + d.NLabelB; ab > 0 {
		share := float64(d.NLabelA) / float64(ab)
		if share < results.LabelBalanceLo || share > results.LabelBalanceHi {
			ws = append(ws, results.Warning{Kind: results.WarnLabelBalance, Message: fmt.Sprintf(
				"the labels prefer image a in %s of the pairs (%d a, %d b): a scorer that favours one position, or that ties, is not caught by accuracy; "+
					"give the pairs a balanced order (srbench curate does) and read the tie rules below", results.Percent(share), d.NLabelA, d.NLabelB)})
		}
	}
	for _, s := range res.Scorers {
		total := s.NPairs + s.NFailed + s.NSkipped
		switch {
		case s.Accuracy == nil && s.NFailed > 0:
			ws = append(ws, results.Warning{Kind: results.WarnNoPairs, Scorer: s.Name, Message: fmt.Sprintf(
				"no pair counted: failed on %d of %d pairs (%s); its accuracy is undefined", s.NFailed, total, firstReason(s))})
		case s.Accuracy == nil:
			ws = append(ws, results.Warning{Kind: results.WarnNoPairs, Scorer: s.Name, Message: fmt.Sprintf(
				"no pair counted (%d of %d pairs have a tied label, skipped under label ties = %s); its accuracy is undefined", s.NSkipped, total, res.Policy.LabelTies)})
		case s.NFailed > 0:
			ws = append(ws, results.Warning{Kind: results.WarnFailures, Scorer: s.Name, Message: fmt.Sprintf(
				"failed on %d of %d pairs (%s), which are left out of its accuracy (%s on the other %d)",
				s.NFailed, total, firstReason(s), results.Percent(*s.Accuracy), s.NPairs)})
		}
		if s.Accuracy != nil && s.PredictedTieRate > results.TieWarnRate && s.ByTieRule != nil {
			b := s.ByTieRule
			ws = append(ws, results.Warning{Kind: results.WarnPredictedTies, Scorer: s.Name, Message: fmt.Sprintf(
				"%s of its pairs are predicted ties (equal scores, %d of %d); its accuracy %s counts them %s, and would be %s with ties wrong, %s with ties half, %s with ties correct",
				results.Percent(s.PredictedTieRate), s.NPredictedTies, s.NPairs, results.Percent(*s.Accuracy), res.Policy.PredictionTies,
				results.Percent(b.Wrong), results.Percent(b.Half), results.Percent(b.Correct))})
		}
		if s.Accuracy != nil && !results.IsBootstrap(s.CIMethod) {
			ws = append(ws, results.Warning{Kind: results.WarnSmallSample, Scorer: s.Name, Message: fmt.Sprintf(
				"its interval is %s, not the prompt bootstrap: %s", s.CIMethod, s.CINote)})
		}
		for _, u := range s.Undefined {
			ws = append(ws, results.Warning{Kind: results.WarnUndefined, Scorer: s.Name, Message: "not defined on this data: " + u})
		}
		if s.PluginSHA256 != "" && !s.PluginPinned {
			ws = append(ws, results.Warning{Kind: results.WarnUnpinned, Scorer: s.Name, Message: fmt.Sprintf(
				"its plugin binary (sha256 %s) has no pin in plugins.lock; it ran because of --allow-unpinned", s.PluginSHA256)})
		}
		if s.Fingerprint == "" {
			ws = append(ws, results.Warning{Kind: results.WarnNoFingerprint, Scorer: s.Name, Message: "its plugin reported no model fingerprint (neither sha256:<hex> over its model files nor \"none\"): nothing ties these numbers to exact weights; srbench plugins test names the rule"})
		}
	}
	return ws
}

// firstReason is a scorer's most frequent failure reason.
func firstReason(s results.ScorerResult) string {
	best, n := "", 0
	for k, v := range s.FailureReasons {
		if v > n || (v == n && k < best) {
			best, n = k, v
		}
	}
	if best == "" {
		return "no reason recorded"
	}
	return fmt.Sprintf("most often: %s", best)
}

// fillScorer computes scorer sr's statistics from ps; pbs, when not nil, is
// its Poisson bootstrap, used instead of the multinomial one.
func fillScorer(sr *results.ScorerResult, ps stats.Source, pbs *stats.BootstrapResult, opts AnalyzeOptions, bopts stats.BootstrapOptions, spill stats.Spill) error {
	sr.Accuracy, sr.CI95, sr.CIMethod, sr.CINote, sr.Wilson95, sr.BootstrapSE = nil, nil, "", "", nil, 0
	sr.MicroAccuracy, sr.MacroAccuracy, sr.PredictedTieRate, sr.ByTieRule = nil, nil, 0, nil
	sr.TieCalibrated, sr.Calibration, sr.Strength, sr.Undefined = nil, nil, nil, nil
	r, err := stats.AccuracyOf(ps, opts.Policy)
	if errors.Is(err, stats.ErrNoPairs) {
		sr.NPairs, sr.NSkipped, sr.NPredictedTies, sr.NPrompts = 0, r.Skipped, 0, 0
		return nil
	}
	if err != nil {
		return err
	}
	sr.Accuracy = ptr(r.Accuracy)
	sr.NPairs, sr.NSkipped, sr.NPredictedTies, sr.NPrompts = r.Pairs, r.Skipped, r.PredictedTies, r.Prompts
	sr.MicroAccuracy = ptr(r.Credit / r.Weight)
	sr.PredictedTieRate = float64(r.PredictedTies) / float64(r.Pairs)
	macro := opts.Policy
	macro.Averaging = stats.Macro
	if m, err := stats.AccuracyOf(ps, macro); err == nil {
		sr.MacroAccuracy = ptr(m.Accuracy)
	}
	var rules [3]float64
	for k, rule := range [3]stats.PredTiePolicy{stats.PredTieWrong, stats.PredTieHalf, stats.PredTieCorrect} {
		pol := opts.Policy
		pol.PredTie = rule
		t, err := stats.AccuracyOf(ps, pol)
		if err != nil {
			return err
		}
		rules[k] = t.Accuracy
	}
	sr.ByTieRule = &results.TieRules{Wrong: rules[0], Half: rules[1], Correct: rules[2]}
	var wilson *stats.Interval
	if opts.Policy.Averaging == stats.Micro {
		if w, err := r.Wilson(0.95); err == nil {
			sr.Wilson95 = &[2]float64{w.Lo, w.Hi}
			wilson = &w
		}
	}
	method := results.CIBootstrap
	var bs stats.BootstrapResult
	if pbs != nil {
		bs, method = *pbs, results.CIPoissonBootstrap
	} else if bs, err = stats.BootstrapOf(ps, opts.Policy, bopts); err != nil {
		return err
	}
	sr.BootstrapSE = bs.SE
	switch {
	case r.Prompts >= results.MinBootstrapPrompts && bs.Interval.Hi > bs.Interval.Lo:
		sr.CI95, sr.CIMethod = &[2]float64{bs.Interval.Lo, bs.Interval.Hi}, method
	default:
		why := fmt.Sprintf("only %d prompts (a prompt bootstrap needs at least %d)", r.Prompts, results.MinBootstrapPrompts)
		if r.Prompts >= results.MinBootstrapPrompts {
			why = "every bootstrap resample gives the same accuracy"
		}
		if wilson != nil {
			sr.CI95, sr.CIMethod = &[2]float64{wilson.Lo, wilson.Hi}, results.CIWilson
			sr.CINote = why + "; Wilson treats pairs as independent"
		} else {
			// Macro: the prompts' accuracies, as if each were one trial.
			w, err := stats.Wilson(r.Accuracy*float64(r.Prompts), float64(r.Prompts), 0.95)
			if err != nil {
				return err
			}
			sr.CI95, sr.CIMethod = &[2]float64{w.Lo, w.Hi}, results.CIWilson
			sr.CINote = why + "; Wilson over prompts"
		}
	}
	if tc, err := stats.TieCalibrateOf(ps, opts.Policy.Averaging, spill); err == nil {
		sr.TieCalibrated = &results.TieCalibrated{Accuracy: tc.Result.Accuracy, Epsilon: tc.Epsilon}
	}
	sr.Calibration = calibration(ps, r.Prompts, opts.CalibBins)
	if sr.Calibration.Error != "" {
		sr.Undefined = append(sr.Undefined, "calibration ("+sr.Calibration.Error+")")
	}
	bins, err := stats.AccuracyByStrengthOf(ps, opts.Policy, opts.StrengthBins, 0.95, spill)
	if err == nil {
		for _, b := range bins {
			sr.Strength = append(sr.Strength, results.StrengthBin{Lo: b.Lo, Hi: b.Hi, Accuracy: b.Result.Accuracy,
				CI95: [2]float64{b.Wilson.Lo, b.Wilson.Hi}, NPairs: b.Result.Pairs})
		}
	}
	return nil
}

// calibrationFolds is the number of prompt folds of the cross-fitted
// calibration; it needs at least minCalibrationPrompts prompts.
const (
	calibrationFolds      = 5
	minCalibrationPrompts = 10
)

// calibration fits the logistic calibration on all pairs (intercept and
// slope) and judges it out of fold (reliability bins, ECE): each pair's
// probability comes from a fit without its prompt's fold, unless there are
// too few prompts or a fold cannot be fitted, when the fit is judged
// in-sample and labelled so.
func calibration(ps stats.Source, prompts, bins int) *results.CalibrationInfo {
	cal := &results.CalibrationInfo{}
	fit, err := stats.FitPairLogisticOf(ps)
	if err != nil {
		cal.Error = err.Error()
		return cal
	}
	cal.Intercept, cal.Slope = fit.Intercept, fit.Slope
	prob, method := fit.PairProb, results.CalibInSample
	if prompts >= minCalibrationPrompts {
		if cf, err := stats.CrossFitPairLogisticOf(ps, calibrationFolds); err == nil {
			prob, method = cf.PairProb, results.CalibCrossFit
		} else {
			method = "in-sample (" + err.Error() + ")"
		}
	}
	cal.Method = method
	rel, err := stats.PairReliabilityOf(ps, prob, bins)
	if err != nil {
		cal.Error = err.Error()
		return cal
	}
	cal.ECE = rel.ECE
	for _, b := range rel.Bins {
		cal.Bins = append(cal.Bins, results.ReliabilityBin{Lo: b.Lo, Hi: b.Hi, MeanPred: b.MeanPred, Observed: b.Observed, Count: b.Count})
	}
	return cal
}

func ptr[T any](v T) *T { return &v }
