package bench

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"

	"github.com/srbench/srbench/harness/report"
	"github.com/srbench/srbench/harness/stats"
)

// AnalyzeOptions choose how samples become statistics. The zero value is the
// default: the Social Reward policy (ties in prediction count as correct,
// label ties skipped, micro average), B = 1000 prompt-bootstrap resamples,
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
}

// DefaultPolicyName is the policy used when none is given.
const DefaultPolicyName = "socialreward"

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
func Analyze(runDir string, res *report.Results, opts AnalyzeOptions) error {
	opts = opts.withDefaults()
	if err := opts.Policy.Validate(); err != nil {
		return err
	}
	names := make([]string, len(res.Scorers))
	for i, s := range res.Scorers {
		names[i] = s.Name
	}
	// One pass over samples.jsonl re-encodes the pairs as binary rows in a
	// scratch file; every statistic then streams from it. Memory grows with
	// the number of prompts, not pairs.
	sc, err := newScratch(runDir, len(names))
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
	nTies := 0
	hasStrength := false
	row := make([]scored, len(names))
	err = report.ReadSamples(filepath.Join(runDir, report.SamplesFile), func(s report.Sample) error {
		l, err := statsLabel(s.Label)
		if err != nil {
			return err
		}
		if l == stats.LabelTie {
			nTies++
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
				reasons[i][reasonKey(x.Error)]++
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
	res.Dataset.NPrompts = len(sc.prompts)
	res.Dataset.NLabelTies = nTies
	res.Dataset.HasStrength = hasStrength
	res.Policy = report.Policy{
		Name: opts.PolicyName, PredictionTies: opts.Policy.PredTie.String(), LabelTies: opts.Policy.LabelTie.String(),
		Averaging: opts.Policy.Averaging.String(), Epsilon: opts.Policy.Epsilon, Alpha: opts.Alpha,
	}
	bopts := stats.BootstrapOptions{B: opts.B, Seed: opts.Seed}
	res.Bootstrap = report.BootstrapCfg{B: opts.B, Seed: opts.Seed, Level: 0.95, Unit: "prompt"}
	spill := stats.Spill{Dir: runDir}

	for i := range res.Scorers {
		sr := &res.Scorers[i]
		sr.NFailed, sr.FailureReasons = failed[i], nil
		if failed[i] > 0 {
			sr.FailureReasons = reasons[i]
		}
		if err := fillScorer(sr, sc.source(i), opts, bopts, spill); err != nil {
			return fmt.Errorf("scorer %q: %w", sr.Name, err)
		}
	}

	// Paired comparisons and agreement on the pairs both scorers scored.
	res.Comparisons, res.Agreement = nil, nil
	var pvals []float64
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			n := common[i][j]
			c := report.Comparison{A: names[i], B: names[j], NPairs: n, PMcNemar: 1}
			ag := report.AgreementEntry{A: names[i], B: names[j], N: n}
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
				if bs, err := stats.PairedBootstrapOf(ps, opts.Policy, bopts); err == nil {
					c.CI95 = [2]float64{bs.Interval.Lo, bs.Interval.Hi}
				} else if !errors.Is(err, stats.ErrNoPairs) {
					return fmt.Errorf("comparison %s vs %s: %w", names[i], names[j], err)
				}
				m, err := stats.McNemarOf(ps, opts.Policy)
				if err != nil {
					return fmt.Errorf("comparison %s vs %s: %w", names[i], names[j], err)
				}
				c.AWins, c.BWins, c.PMcNemar = m.AWins, m.BWins, m.P
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
			res.Comparisons[k].PHolm = h.Adjusted[k]
			res.Comparisons[k].Significant = h.Reject[k]
		}
	}
	return nil
}

func fillScorer(sr *report.ScorerResult, ps stats.Source, opts AnalyzeOptions, bopts stats.BootstrapOptions, spill stats.Spill) error {
	sr.Accuracy, sr.CI95, sr.Wilson95, sr.BootstrapSE = 0, [2]float64{}, nil, 0
	sr.TieCalibrated, sr.Calibration, sr.Strength = nil, nil, nil
	r, err := stats.AccuracyOf(ps, opts.Policy)
	if errors.Is(err, stats.ErrNoPairs) {
		sr.NPairs = 0
		return nil
	}
	if err != nil {
		return err
	}
	sr.Accuracy, sr.NPairs, sr.NSkipped, sr.NPredictedTies, sr.NPrompts = r.Accuracy, r.Pairs, r.Skipped, r.PredictedTies, r.Prompts
	sr.MicroAccuracy = r.Credit / r.Weight
	macro := opts.Policy
	macro.Averaging = stats.Macro
	if m, err := stats.AccuracyOf(ps, macro); err == nil {
		sr.MacroAccuracy = m.Accuracy
	}
	if opts.Policy.Averaging == stats.Micro {
		if w, err := r.Wilson(0.95); err == nil {
			sr.Wilson95 = &[2]float64{w.Lo, w.Hi}
		}
	}
	bs, err := stats.BootstrapOf(ps, opts.Policy, bopts)
	if err != nil {
		return err
	}
	sr.CI95, sr.BootstrapSE = [2]float64{bs.Interval.Lo, bs.Interval.Hi}, bs.SE
	if tc, err := stats.TieCalibrateOf(ps, opts.Policy.Averaging, spill); err == nil {
		sr.TieCalibrated = &report.TieCalibrated{Accuracy: tc.Result.Accuracy, Epsilon: tc.Epsilon}
	}
	cal := &report.CalibrationInfo{}
	if fit, err := stats.FitPairLogisticOf(ps); err != nil {
		cal.Error = err.Error()
	} else {
		cal.Intercept, cal.Slope = fit.Intercept, fit.Slope
		if rel, err := stats.PairReliabilityOf(ps, fit.PairProb, opts.CalibBins); err == nil {
			cal.ECE = rel.ECE
			for _, b := range rel.Bins {
				cal.Bins = append(cal.Bins, report.ReliabilityBin{Lo: b.Lo, Hi: b.Hi, MeanPred: b.MeanPred, Observed: b.Observed, Count: b.Count})
			}
		} else {
			cal.Error = err.Error()
		}
	}
	sr.Calibration = cal
	bins, err := stats.AccuracyByStrengthOf(ps, opts.Policy, opts.StrengthBins, 0.95, spill)
	if err == nil {
		for _, b := range bins {
			sr.Strength = append(sr.Strength, report.StrengthBin{Lo: b.Lo, Hi: b.Hi, Accuracy: b.Result.Accuracy,
				CI95: [2]float64{b.Wilson.Lo, b.Wilson.Hi}, NPairs: b.Result.Pairs})
		}
	}
	return nil
}
